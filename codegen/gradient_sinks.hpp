// The ways a training step ends, written once for both backends: store the gradients
// (compute_gradients, after which apply_update may follow), or apply an optimiser's update to each
// parameter vector as soon as its gradient is finished (train_batch: one pass over the parameters
// fewer, the same numbers).
// A step derives from GradientSinks<Step> and provides forward_backward(rows, sink_for),
// gradient_of(parameter) and state_of(parameter).
#pragma once

#include <atomic>
#include <cstddef>
#include <limits>
#include <span>

#include "batch_result.hpp"
#include "dense_backward.hpp"

namespace ctnn::codegen {

// Whether every lane of g is a number other than an infinity (an ordered comparison: false for NaN).
inline bool all_finite(floats g) { return xsimd::all(xsimd::abs(g) <= floats(std::numeric_limits<float>::max())); }

// The gradient sink of a fused training step for the parameter vectors at `parameter`: it applies
// update(w, g, state) to each as soon as its gradient g is finished, unless g holds a NaN or an Inf
// (which a finite loss can hide: an overflow in the backward pass). Then nothing is written, so no
// weight or optimiser state becomes NaN, and `non_finite` is set (by whichever thread finds one).
template <class Update>
auto guarded_update(const Update& update, std::atomic<bool>& non_finite, float* parameter, float* state) {
  return [&update, &non_finite, parameter, state](std::size_t at, floats g) {
    if (!all_finite(g)) [[unlikely]] {
      non_finite.store(true, std::memory_order_relaxed);
      return;
    }
    update(parameter + at, g, state + at);
  };
}

// The update alone, over stored gradients that something may have changed since the backward pass
// (a gradient exchange between processes): the numbers of the fused update, vector for vector, as
// the update is element-wise. False when a gradient was not finite (that vector is not applied).
template <class Update>
bool apply_update(const Update& update, std::span<float> parameters, const float* gradients, float* state) {
  std::atomic<bool> non_finite{false};
  const auto sink = guarded_update(update, non_finite, parameters.data(), state);
  for (std::size_t at = 0; at < parameters.size(); at += lanes) sink(at, floats::load_aligned(gradients + at));
  return !non_finite.load(std::memory_order_relaxed);
}

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
  // `state`) as soon as its gradient g is finished, instead of storing the gradients; a gradient
  // that is not finite is not applied (guarded_update), and the result says so. With
  // store_gradients, the gradients are stored instead, for apply_update after an exchange: the
  // choice is made per vector at run time, so that one backward pass is compiled per network, not two.
  template <class Update>
  BatchResult train_batch(std::size_t rows, const Update& update, bool store_gradients = false) {
    Step& step = static_cast<Step&>(*this);
    std::atomic<bool> non_finite{false};
    BatchResult result = step.forward_backward(rows, [&step, &update, &non_finite, store_gradients](float* parameter) {
      return [apply = guarded_update(update, non_finite, parameter, step.state_of(parameter)),
              gradient = store_gradients ? step.gradient_of(parameter) : nullptr](std::size_t at, floats g) {
        if (gradient) g.store_aligned(gradient + at);
        else apply(at, g);
      };
    });
    result.finite_gradients = !non_finite.load(std::memory_order_relaxed);
    return result;
  }

  // The third phase of a step run in phases (train_batch storing the gradients, then whatever
  // changes them, then this); see codegen::apply_update.
  template <class Update>
  bool apply_update(const Update& update) {
    Step& step = static_cast<Step&>(*this);
    return codegen::apply_update(update, step.parameters(), step.gradients().data(), step.optimizer_state().data());
  }
};

}  // namespace ctnn::codegen
