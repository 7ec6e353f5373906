// Flatten: Keras's Flatten(), an image (height x width x channels) read as one vector of features,
// in the same order (channels last). Rows are stored that way already, so inference passes the
// input through and the gradient goes back unchanged; training copies the input into the output
// the layer above reads.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>

#include "protocol.hpp"

namespace ctnn::layers {

struct Flatten {
  static constexpr std::string_view keras_type = "Flatten";

  constexpr Shape output_shape(const Shape& input) const { return Shape(input.elements()); }
  constexpr Tensors parameters(const Shape&) const { return {}; }
  constexpr ScratchList scratch(const Shape&) const { return {}; }
  constexpr LayerTraits traits() const { return {.elementwise_backward = true, .identity_in_inference = true}; }
  constexpr BackwardSteps backward_steps() const { return {}; }

  std::string spec() const { return "flatten"; }
  constexpr std::string architecture() const { return "flatten"; }

  template <class Io>
  void forward_inference(const Io&) const {}
  template <class Io>
  void forward_training(const Io& io) const {
    const std::size_t features = io.input_shape.elements(), rows = io.rows;
    for (std::size_t r = 0; r < rows; ++r) {
      float* out = std::copy_n(io.input + r * io.input_stride, features, io.output + r * io.output_stride);
      std::fill(out, io.output + (r + 1) * io.output_stride, 0.0f);
    }
  }
};

}  // namespace ctnn::layers
