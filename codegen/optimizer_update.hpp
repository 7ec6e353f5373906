// The arithmetic of the optimisers, one SIMD vector of parameters at a time, as Keras 3 writes it:
//
//   SGD       v = momentum * v - lr * g;  w += v   (Nesterov: w += momentum * v - lr * g)
//             with momentum 0: w -= lr * g
//   RMSprop   s = rho * s + (1 - rho) * g^2
//             (centered: a = rho * a + (1 - rho) * g, and s - a^2 in place of s below)
//             step = lr * g / sqrt(s + epsilon)
//             w -= step   (momentum: u = momentum * u + step;  w -= u)
//   Adam      m += (g - m) * (1 - beta_1);  v += (g^2 - v) * (1 - beta_2)
//             (amsgrad: v_max = max(v_max, v), used in place of v)
//             w -= m * alpha / (sqrt(v) + epsilon),  alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
//
// Optimiser state: up to three arrays (optimizer_state_slots) laid out like the parameters, `stride` floats apart
// (slot 0 at state, slot 1 at state + stride, slot 2 at state + 2 * stride). All start at zero,
// and a zero gradient on zero state leaves a weight unchanged, so padding stays zero.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>

#include "simd.hpp"
#include "thread_pool.hpp"
#include "../dsl/optimizers.hpp"

namespace ctnn {

// Arrays of optimiser state, each laid out like all the parameters: the most any optimiser uses
// (Adam with amsgrad: m, v and max v; RMSprop centered with momentum).
inline constexpr std::size_t optimizer_state_slots = 3;

// The update of one vector of weights w by gradient g: the one definition of the arithmetic,
// used by apply_update's separate pass and by the training steps, which apply it as each
// gradient vector is finished (fused into the backward kernels). One type for every optimiser,
// switched at run time per vector: a type per optimiser would instantiate the backward pass once
// for each, for a branch that is always predicted.
class OptimizerUpdate {
  using floats = simd::floats;

 public:
  // iteration: how many updates, this one included, since the state was zero (Adam's t).
  OptimizerUpdate(const Optimizer& optimizer, std::uint64_t iteration, std::size_t state_stride)
      : stride_(state_stride), rate_(learning_rate_of(optimizer)) {
    if (const auto* sgd = std::get_if<SGD>(&optimizer)) {
      kind_ = sgd->momentum == 0.0f ? Kind::sgd : sgd->nesterov ? Kind::sgd_nesterov : Kind::sgd_momentum;
      momentum_ = floats(sgd->momentum);
    } else if (const auto* rmsprop = std::get_if<RMSprop>(&optimizer)) {
      kind_ = Kind::rmsprop;
      decay_ = floats(rmsprop->rho);
      decay_complement_ = floats(1.0f - rmsprop->rho);
      momentum_ = floats(rmsprop->momentum);
      epsilon_ = floats(rmsprop->epsilon);
      with_momentum_ = rmsprop->momentum > 0.0f;
      variant_ = rmsprop->centered;
    } else {
      const Adam& adam = std::get<Adam>(optimizer);
      kind_ = Kind::adam;
      // In float, as Keras computes it for float32 variables.
      const float t = float(iteration);
      const float beta_1_power = std::pow(adam.beta_1, t), beta_2_power = std::pow(adam.beta_2, t);
      rate_ = floats(adam.learning_rate * std::sqrt(1.0f - beta_2_power) / (1.0f - beta_1_power));
      momentum_ = floats(1.0f - adam.beta_1);
      decay_complement_ = floats(1.0f - adam.beta_2);
      epsilon_ = floats(adam.epsilon);
      variant_ = adam.amsgrad;
    }
  }

  void operator()(float* w, floats g, float* state) const {
    if (kind_ == Kind::sgd) simd::fnma(rate_, g, floats::load_aligned(w)).store_aligned(w);
    else update_with_state(w, g, state);
  }

 private:
  enum class Kind : unsigned char { sgd, sgd_momentum, sgd_nesterov, rmsprop, adam };

  // Out of line: inlined into every vector position of every backward kernel, the stateful
  // optimisers tripled the compile time and memory of a training program (train_seed.cpp 13.8 s /
  // 657 MiB -> 45.9 s / 1.2 GiB). Plain SGD stays inline.
  [[gnu::noinline]] void update_with_state(float* w, floats g, float* state) const {
    const floats weight = floats::load_aligned(w);
    switch (kind_) {
      case Kind::sgd:
        simd::fnma(rate_, g, weight).store_aligned(w);
        return;
      case Kind::sgd_momentum:
      case Kind::sgd_nesterov: {
        // Each multiply-add is one fused operation, written out: left to the compiler, which products
        // get fused would depend on where this is inlined, and the fused update would drift from the
        // separate pass by an ulp.
        const floats velocity = simd::fnma(rate_, g, momentum_ * floats::load_aligned(state));
        velocity.store_aligned(state);
        (kind_ == Kind::sgd_nesterov ? simd::fnma(rate_, g, simd::fma(momentum_, velocity, weight)) : weight + velocity)
            .store_aligned(w);
        return;
      }
      case Kind::rmsprop: {
        const floats mean_square = decay_ * floats::load_aligned(state) + decay_complement_ * (g * g);
        mean_square.store_aligned(state);
        floats denominator = mean_square + epsilon_;
        if (variant_) {
          float* average_at = state + 2 * stride_;
          const floats average = decay_ * floats::load_aligned(average_at) + decay_complement_ * g;
          average.store_aligned(average_at);
          denominator = mean_square - average * average + epsilon_;
        }
        floats step = rate_ * g / xsimd::sqrt(denominator);
        if (with_momentum_) {
          float* momentum_at = state + stride_;
          step = momentum_ * floats::load_aligned(momentum_at) + step;
          step.store_aligned(momentum_at);
        }
        (weight - step).store_aligned(w);
        return;
      }
      case Kind::adam: {
        float* second_at = state + stride_;
        const floats first = floats::load_aligned(state) + (g - floats::load_aligned(state)) * momentum_;
        floats second = floats::load_aligned(second_at) + (g * g - floats::load_aligned(second_at)) * decay_complement_;
        first.store_aligned(state);
        second.store_aligned(second_at);
        if (variant_) {
          float* maximum_at = state + 2 * stride_;
          second = xsimd::max(floats::load_aligned(maximum_at), second);
          second.store_aligned(maximum_at);
        }
        (weight - first * rate_ / (xsimd::sqrt(second) + epsilon_)).store_aligned(w);
        return;
      }
    }
  }

  Kind kind_ = Kind::sgd;
  std::size_t stride_;
  // Broadcast with parentheses: floats{x} is xsimd's list constructor, which reads a whole vector.
  floats rate_;                             // the learning rate; Adam: alpha, bias correction included
  floats momentum_ = floats(0.0f);          // SGD's and RMSprop's momentum; Adam: 1 - beta_1
  floats decay_ = floats(0.0f);             // RMSprop's rho
  floats decay_complement_ = floats(0.0f);  // RMSprop: 1 - rho; Adam: 1 - beta_2
  floats epsilon_ = floats(0.0f);
  bool with_momentum_ = false;
  bool variant_ = false;  // RMSprop: centered; Adam: amsgrad
};

// One update over flat, equally laid out arrays (their size a multiple of the SIMD width),
// element-wise, so split over up to `threads` threads. state: optimizer_state_slots arrays,
// state_stride floats apart.
inline void apply_update(const Optimizer& optimizer, std::uint64_t iteration, std::span<float> weights,
                         std::span<const float> gradients, float* state, std::size_t state_stride,
                         std::size_t threads = 1) {
  const OptimizerUpdate update(optimizer, iteration, state_stride);
  float* w = weights.data();
  const float* g = gradients.data();
  constexpr std::size_t grain = 16 * simd::lanes, worth_a_thread = 32 * 1024;
  parallel_ranges(threads, weights.size(), grain, worth_a_thread, [&](std::size_t first, std::size_t end) {
    for (std::size_t i = first; i < end; i += simd::lanes) update(w + i, simd::floats::load_aligned(g + i), state + i);
  });
}

}  // namespace ctnn
