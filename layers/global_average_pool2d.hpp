// GlobalAveragePool2D: Keras's GlobalAveragePooling2D(), the mean of each channel over the whole
// image: height x width x channels in, channels out.
#pragma once

#include <cstddef>
#include <string>

#include "../codegen/backward_epilogue.hpp"
#include "../codegen/pooling.hpp"
#include "exported_code.hpp"
#include "pass_helpers.hpp"
#include "protocol.hpp"

namespace ctnn::layers {

struct GlobalAveragePool2D {
  static constexpr std::string_view keras_type = "GlobalAveragePooling2D";

  static constexpr codegen::PoolGeometry geometry(const Shape& input) {
    return {input.extents[0], input.extents[1], input.extents[2], input.extents[0], input.extents[1], 1, 1, 1};
  }

  constexpr Shape output_shape(const Shape& input) const {
    if (input.rank != 3)
      throw ShapeError("GlobalAveragePooling2D reads images (height x width x channels), not " + input.text() + " features");
    return Shape(input.extents[2]);
  }
  constexpr Tensors parameters(const Shape&) const { return {}; }
  constexpr ScratchList scratch(const Shape&) const { return {}; }
  constexpr LayerTraits traits() const { return {}; }
  constexpr BackwardSteps backward_steps() const { return {}; }

  std::string spec() const { return "globalavgpool"; }
  constexpr std::string architecture() const { return "globalavgpool"; }

  template <class Io>
  void forward_inference(const Io& io) const {
    codegen::pool_forward<false>(geometry(input_image_shape(io)), io.input, io.rows, io.input_stride, io.output, io.output_stride,
                                io.threads);
  }
  template <class Io>
  void forward_training(const Io& io) const {
    forward_inference(io);
  }
  std::string exported_inference(const Shape& input, const ExportedIo& io) const {
    return exported_pooling<false>(geometry(input), io);
  }
  template <class Io>
  void backward(const Io& io) const {
    if (!io.input_gradient) return;
    io.with_epilogue([&](const auto& steps_below) {
      codegen::pool_backward<false>(geometry(input_image_shape(io)), nullptr, 0, io.rows, io.input_stride,
                                    io.output_gradient, io.output_stride, io.input_gradient, steps_below, io.threads);
    });
  }

};

}  // namespace ctnn::layers
