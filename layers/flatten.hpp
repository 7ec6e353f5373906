// Flatten: Keras's Flatten(), an image (height x width x channels) read as one vector of features,
// in the same order (channels last). Rows are stored that way already, and padded alike, so the
// layer computes nothing: in inference and in training its output is its input's buffer, and the
// gradient goes back unchanged.
#pragma once

#include <cstddef>
#include <string>

#include "protocol.hpp"

namespace ctnn::layers {

struct Flatten {
  static constexpr std::string_view keras_type = "Flatten";

  constexpr Shape output_shape(const Shape& input) const { return Shape(input.elements()); }
  constexpr Tensors parameters(const Shape&) const { return {}; }
  constexpr ScratchList scratch(const Shape&) const { return {}; }
  constexpr LayerTraits traits() const {
    return {.elementwise_backward = true, .identity_in_inference = true, .identity_in_training = true};
  }
  constexpr BackwardSteps backward_steps() const { return {}; }

  std::string spec() const { return "flatten"; }
  constexpr std::string architecture() const { return "flatten"; }

  template <class Io>
  void forward_inference(const Io&) const {}
  template <class Io>
  void forward_training(const Io&) const {}
};

}  // namespace ctnn::layers
