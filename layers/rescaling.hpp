// Rescaling: Keras's Rescaling(scale, offset), y = x * scale + offset, e.g. Rescaling(1/255) on raw
// pixels.
#pragma once

#include <cstddef>
#include <string>

#include "../codegen/backward_epilogue.hpp"
#include "../dsl/format.hpp"
#include "../codegen/image_kernels.hpp"
#include "exported_code.hpp"
#include "pass_helpers.hpp"
#include "protocol.hpp"

namespace ctnn::layers {

struct Rescaling {
  float scale = 1.0f, offset = 0.0f;

  static constexpr std::string_view keras_type = "Rescaling";

  constexpr Shape output_shape(const Shape& input) const {
    if (!(scale >= -3.4e38f && scale <= 3.4e38f) || !(offset >= -3.4e38f && offset <= 3.4e38f))
      throw ShapeError("Rescaling's scale and offset must be finite numbers");
    return input;
  }
  constexpr Tensors parameters(const Shape&) const { return {}; }
  constexpr ScratchList scratch(const Shape&) const { return {}; }
  constexpr LayerTraits traits() const { return {.reads_unpadded_input = true}; }
  constexpr BackwardSteps backward_steps() const { return {}; }

  // "rescale=0.00392157", "rescale=2,-1"
  std::string spec() const { return architecture(); }
  constexpr std::string architecture() const {
    std::string text = "rescale=" + ctnn::detail::constant_float_text(scale);
    if (offset != 0.0f) text.append(",").append(ctnn::detail::constant_float_text(offset));
    return text;
  }

  template <class Io>
  void forward_inference(const Io& io) const {
    const std::size_t features = io.input_shape.elements();
    for (std::size_t r = 0; r < io.rows; ++r) {
      float* out = io.output + r * io.output_stride;
      codegen::rescale_row(io.input + r * io.input_stride, features, scale, offset, out);
      for (std::size_t c = features; c < io.output_stride; ++c) out[c] = 0.0f;
    }
  }
  template <class Io>
  void forward_training(const Io& io) const {
    forward_inference(io);
  }
  std::string exported_inference(const Shape& input, const ExportedIo& io) const {
    return "rescale_row(" + io.input + ", " + exported_size(input.elements()) + ", " + exported_float(scale) + ", " +
           exported_float(offset) + ", " + io.output + ");\n";
  }
  template <class Io>
  void backward(const Io& io) const {
    if (!io.input_gradient) return;
    const std::size_t size = io.rows * io.output_stride;
    for (std::size_t at = 0; at < size; ++at) io.input_gradient[at] = io.output_gradient[at] * scale;
    apply_steps_below(io);
  }
};

}  // namespace ctnn::layers
