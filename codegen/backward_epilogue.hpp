// What happens to each finished vector of an input gradient before it is stored: the backward
// steps of the element-wise layers between the layer that computes the gradient (a product, a
// batch normalisation) and the next layer down, fused into the computing kernel's last loop so
// that the gradient is written once. In the order the chain rule applies them: a dropout mask,
// an activity L1 penalty's derivative, an activation's derivative (from the activation's output).
#pragma once

#include <cstddef>
#include <type_traits>

#include "../dsl/activations.hpp"
#include "activation_kernels.hpp"
#include "dense_backward.hpp"

namespace ctnn::codegen {

// Mask: const float* (which may be null: no mask) or std::nullptr_t (statically none).
// activation_output: the output the activation's derivative and the L1 penalty read; with Act =
// Linear it may be null (no activation below: nothing to multiply by).
template <ActivationFunction Act, class Mask = const float*>
struct BackwardEpilogue {
  Mask mask{};
  float activity_l1 = 0.0f;
  const float* activation_output = nullptr;

  floats operator()(std::size_t at, floats g) const {
    if constexpr (!std::is_null_pointer_v<Mask>)
      if (mask) g *= floats::load_aligned(mask + at);
    if constexpr (std::is_same_v<Act, Linear>) {
      // The derivative is 1: g * 1 is g, bit for bit, so it is left out.
      if (activity_l1 != 0.0f) g += regularizer_gradient(L1Only{activity_l1}, floats::load_aligned(activation_output + at));
      return g;
    } else {
      const floats a = floats::load_aligned(activation_output + at);
      if (activity_l1 != 0.0f) g += regularizer_gradient(L1Only{activity_l1}, a);
      return g * activation_kernel<Act>::derivative_from_output(a);
    }
  }
};

// No step: the gradient is stored as computed.
using NoBackwardSteps = BackwardEpilogue<Linear, std::nullptr_t>;

// The steps as a pass of their own over a stored gradient (rows x row_floats), for a gradient
// whose kernel could not take them: the same operations in the same order as when fused.
// On floats [first, end) of it only (first a multiple of lanes): one sample's, while it is in cache.
template <class Epilogue>
void apply_backward_steps(const Epilogue& epilogue, float* gradient, std::size_t first, std::size_t end) {
  for (std::size_t at = first; at < end; at += lanes)
    epilogue(at, floats::load_aligned(gradient + at)).store_aligned(gradient + at);
}
template <class Epilogue>
void apply_backward_steps(const Epilogue& epilogue, std::size_t row_floats, std::size_t rows, float* gradient) {
  apply_backward_steps(epilogue, gradient, 0, rows * row_floats);
}

}  // namespace ctnn::codegen
