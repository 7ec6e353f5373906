// Stochastic gradient descent with Keras's semantics and defaults:
//   velocity = momentum * velocity - learning_rate * g
//   w += velocity                                   (plain momentum)
//   w += momentum * velocity - learning_rate * g    (Nesterov)
// (each a * b + c evaluated as one fused multiply-add)
// With momentum 0 both reduce to w -= learning_rate * g.
#pragma once

#include <cstddef>
#include <span>

#include "../codegen/simd.hpp"
#include "../codegen/thread_pool.hpp"

namespace ctnn {

struct SGD {
  float learning_rate = 0.01f;
  float momentum = 0.0f;
  bool nesterov = false;
};

// The update of one vector of weights w (and velocities v) by gradient g: the one definition of
// the arithmetic, used by apply_update's separate pass and by the training steps, which apply it
// as each gradient vector is finished (fused into the backward kernels).
class SgdVectorUpdate {
 public:
  explicit SgdVectorUpdate(const SGD& sgd)
      : rate_(sgd.learning_rate), momentum_(sgd.momentum), plain_(sgd.momentum == 0.0f), nesterov_(sgd.nesterov) {}

  void operator()(float* w, simd::floats g, float* v) const {
    using simd::floats;
    if (plain_) {
      simd::fnma(rate_, g, floats::load_aligned(w)).store_aligned(w);
      return;
    }
    // Every multiply-add written as one fused operation: left to the compiler (-ffp-contract), which
    // products get fused would depend on where this is inlined, and the fused update would drift
    // from the separate pass by an ulp.
    const floats velocity = simd::fnma(rate_, g, momentum_ * floats::load_aligned(v));
    velocity.store_aligned(v);
    const floats w_old = floats::load_aligned(w);
    (nesterov_ ? simd::fnma(rate_, g, simd::fma(momentum_, velocity, w_old)) : w_old + velocity).store_aligned(w);
  }

 private:
  simd::floats rate_, momentum_;
  bool plain_, nesterov_;
};

// One update over flat, equally laid out arrays (their size a multiple of the SIMD width),
// element-wise, so split over up to `threads` threads.
inline void apply_update(const SGD& sgd, std::span<float> weights, std::span<const float> gradients,
                         std::span<float> velocities, std::size_t threads = 1) {
  const SgdVectorUpdate update(sgd);
  float* w = weights.data();
  const float* g = gradients.data();
  float* v = velocities.data();
  constexpr std::size_t grain = 16 * simd::lanes, worth_a_thread = 32 * 1024;
  parallel_ranges(threads, weights.size(), grain, worth_a_thread, [&](std::size_t first, std::size_t end) {
    for (std::size_t i = first; i < end; i += simd::lanes) update(w + i, simd::floats::load_aligned(g + i), v + i);
  });
}

}  // namespace ctnn
