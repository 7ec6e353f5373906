// Stochastic gradient descent with Keras's semantics and defaults:
//   velocity = momentum * velocity - learning_rate * g
//   w += velocity                                   (plain momentum)
//   w += momentum * velocity - learning_rate * g    (Nesterov)
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

// One update over flat, equally laid out arrays (their size a multiple of the SIMD width),
// element-wise, so split over up to `threads` threads.
inline void apply_update(const SGD& sgd, std::span<float> weights, std::span<const float> gradients,
                         std::span<float> velocities, std::size_t threads = 1) {
  using simd::floats;
  const floats rate(sgd.learning_rate), momentum(sgd.momentum);
  float* w = weights.data();
  const float* g = gradients.data();
  float* v = velocities.data();
  constexpr std::size_t grain = 16 * simd::lanes, worth_a_thread = 32 * 1024;
  parallel_ranges(threads, weights.size(), grain, worth_a_thread, [&](std::size_t first, std::size_t end) {
    if (sgd.momentum == 0.0f) {
      for (std::size_t i = first; i < end; i += simd::lanes)
        xsimd::fnma(rate, floats::load_aligned(g + i), floats::load_aligned(w + i)).store_aligned(w + i);
      return;
    }
    for (std::size_t i = first; i < end; i += simd::lanes) {
      const floats step = rate * floats::load_aligned(g + i);
      const floats velocity = momentum * floats::load_aligned(v + i) - step;
      velocity.store_aligned(v + i);
      const floats w_i = floats::load_aligned(w + i);
      (sgd.nesterov ? w_i + momentum * velocity - step : w_i + velocity).store_aligned(w + i);
    }
  });
}

}  // namespace ctnn
