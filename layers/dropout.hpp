// Dropout: Keras's Dropout(rate), inverted. In training each value is zeroed with probability
// `rate` and the others scaled by 1 / (1 - rate); inference passes the input through. Masks come
// from fit's seed, the step and the layer's own random stream: the same seed gives the same run
// on either backend and any thread count.
#pragma once

#include <cstddef>
#include <string>

#include "../codegen/dropout.hpp"
#include "../dsl/format.hpp"
#include "protocol.hpp"

namespace ctnn::layers {

struct Dropout {
  float rate = 0.0f;

  static constexpr std::string_view keras_type = "Dropout";

  constexpr Shape output_shape(const Shape& input) const {
    if (!(rate >= 0.0f && rate < 1.0f))
      throw ShapeError("Dropout has rate " + ctnn::detail::format_float(rate) +
                       "; the rate is the fraction of values dropped, in [0, 1)");
    return input;
  }
  constexpr Tensors parameters(const Shape&) const { return {}; }
  constexpr ScratchList scratch(const Shape& input) const {
    return {{"mask", simd::padded(input.elements()), 0, Lifetime::kept}};  // 0 or 1 / (1 - rate) per value
  }
  constexpr LayerTraits traits() const {
    return {.elementwise_backward = true, .identity_in_inference = true, .draws_random_numbers = true};
  }
  constexpr BackwardSteps backward_steps() const { return {{StepKind::scale, {false, 0}}}; }

  std::string spec() const { return "dropout=" + ctnn::detail::format_float(rate); }
  constexpr std::string architecture() const { return {}; }  // training only: a trained model computes the same with or without

  template <class Io>
  void forward_inference(const Io&) const {}
  template <class Io>
  void forward_training(const Io& io) const {
    codegen::dropout_forward(rate, io.input_shape.elements(), io.output_stride, io.rows, io.input, io.scratch[0],
                             io.output, io.seed, io.step, io.random_stream);
  }
};

}  // namespace ctnn::layers
