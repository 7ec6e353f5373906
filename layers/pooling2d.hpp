// MaxPool2D and AveragePool2D: Keras's MaxPooling2D(pool_size, strides) and
// AveragePooling2D(pool_size, strides), padding "valid", on channels-last images. The strides
// default to the pool size, as in Keras.
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>

#include "../codegen/backward_epilogue.hpp"
#include "../codegen/pooling.hpp"
#include "../dsl/architecture.hpp"
#include "exported_code.hpp"
#include "pass_helpers.hpp"
#include "protocol.hpp"

namespace ctnn::layers {

template <bool Max>
struct Pooling2D {
  std::size_t pool_height = 2, pool_width = 2;
  std::size_t stride = 0;  // 0: the pool's height

  static constexpr std::string_view keras_type = Max ? "MaxPooling2D" : "AveragePooling2D";
  static constexpr std::string_view word = Max ? "maxpool" : "avgpool";

  constexpr std::size_t step() const { return stride == 0 ? pool_height : stride; }
  constexpr codegen::PoolGeometry geometry(const Shape& input) const {
    return {input.extents[0], input.extents[1], input.extents[2], pool_height, pool_width, step(),
            (input.extents[0] - pool_height) / step() + 1, (input.extents[1] - pool_width) / step() + 1};
  }

  constexpr Shape output_shape(const Shape& input) const {
    if (pool_height == 0 || pool_width == 0) throw ShapeError(std::string(keras_type) + " needs a pool of at least 1x1");
    if (input.rank != 3)
      throw ShapeError(std::string(keras_type) + " reads images (height x width x channels), not " + input.text() + " features");
    if (pool_height > input.extents[0] || pool_width > input.extents[1])
      throw ShapeError(std::string(keras_type) + "'s pool (" + std::to_string(pool_height) + "x" + std::to_string(pool_width) +
                       ") is larger than its " + input.text() + " input");
    if (Max && pool_height * pool_width > codegen::max_pool_positions)
      throw ShapeError("MaxPooling2D's pool (" + std::to_string(pool_height) + "x" + std::to_string(pool_width) +
                       ") has more than 2^24 positions");
    const codegen::PoolGeometry g = geometry(input);
    return Shape(g.out_height, g.out_width, g.channels);
  }
  constexpr Tensors parameters(const Shape&) const { return {}; }
  // Max: where each maximum was (a codegen::PoolIndex per output), kept from forward for backward.
  constexpr ScratchList scratch(const Shape& input) const {
    if constexpr (Max) return {{"argmax", argmax_stride(geometry(input)), 0, Lifetime::kept}};
    else return {};
  }
  constexpr LayerTraits traits() const { return {}; }
  constexpr BackwardSteps backward_steps() const { return {}; }

  std::string spec() const { return architecture(); }
  // "maxpool=2", "maxpool=3x2", with ":stride=1" when the stride is not the pool's height.
  constexpr std::string architecture() const {
    std::string text(word);
    text.append("=");
    append_decimal(text, pool_height);
    if (pool_width != pool_height) {
      text.append("x");
      append_decimal(text, pool_width);
    }
    if (step() != pool_height) {
      text.append(":stride=");
      append_decimal(text, step());
    }
    return text;
  }

  template <class Io>
  void forward_inference(const Io& io) const {
    codegen::pool_forward<Max>(geometry(input_image_shape(io)), io.input, io.rows, io.input_stride, io.output, io.output_stride,
                                io.threads);
  }
  template <class Io>
  void forward_training(const Io& io) const {
    if constexpr (Max) {
      const codegen::PoolGeometry g = geometry(input_image_shape(io));
      codegen::max_pool_forward_indexed(g, io.input, io.rows, io.input_stride, io.output, io.output_stride, argmax_of(io),
                                        argmax_stride(g), io.threads);
    } else {
      forward_inference(io);
    }
  }
  std::string exported_inference(const Shape& input, const ExportedIo& io) const {
    return exported_pooling<Max>(geometry(input), io);
  }
  template <class Io>
  void backward(const Io& io) const {
    if (!io.input_gradient) return;
    const codegen::PoolGeometry g = geometry(input_image_shape(io));
    io.with_epilogue([&](const auto& steps_below) {
      codegen::pool_backward<Max>(g, Max ? argmax_of(io) : nullptr, argmax_stride(g), io.rows, io.input_stride,
                                  io.output_gradient, io.output_stride, io.input_gradient, steps_below, io.threads);
    });
  }

 private:
  static_assert(std::is_same_v<codegen::PoolIndex, float>, "the argmax scratch holds one float per output");
  static constexpr std::size_t argmax_stride(const codegen::PoolGeometry& g) { return g.out_pixels() * g.channels; }
  template <class Io>
  static codegen::PoolIndex* argmax_of(const Io& io) {
    return io.scratch[0];
  }

};

using MaxPool2D = Pooling2D<true>;
using AveragePool2D = Pooling2D<false>;

}  // namespace ctnn::layers
