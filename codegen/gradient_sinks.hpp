// The two ways a training step ends, written once for both backends: store the gradients
// (compute_gradients), or apply an optimiser's update to each parameter vector as soon as its
// gradient is finished (train_batch: one pass over the parameters fewer, the same numbers).
// A step derives from GradientSinks<Step> and provides forward_backward(rows, sink_for),
// gradient_of(parameter) and state_of(parameter).
#pragma once

#include <cstddef>

#include "batch_result.hpp"
#include "dense_backward.hpp"

namespace ctnn::codegen {

template <class Step>
class GradientSinks {
 public:
  // Forward and backward over the first `rows` samples of the loaded batch: fills the gradient
  // buffers and returns the batch's loss and correct count.
  BatchResult compute_gradients(std::size_t rows) {
    Step& step = static_cast<Step&>(*this);
    return step.forward_backward(rows, [&step](float* parameter) { return StoreGradient{step.gradient_of(parameter)}; });
  }

  // The same, applying update(w, g, state) to every vector of parameters w (optimiser state at
  // `state`) as soon as its gradient g is finished, instead of storing the gradients.
  template <class Update>
  BatchResult train_batch(std::size_t rows, const Update& update) {
    Step& step = static_cast<Step&>(*this);
    return step.forward_backward(rows, [&step, &update](float* parameter) {
      return [&update, parameter, state = step.state_of(parameter)](std::size_t at, floats g) {
        update(parameter + at, g, state + at);
      };
    });
  }
};

}  // namespace ctnn::codegen
