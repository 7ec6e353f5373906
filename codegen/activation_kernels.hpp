// Vector code for each activation: the forward function and its derivative written in terms of
// the activation's output, so that backward needs only the stored outputs, never the inputs.
#pragma once

#include "../dsl/activations.hpp"
#include "inference_kernels.hpp"

namespace ctnn::codegen {

template <ActivationFunction A>
struct activation_kernel;

template <>
struct activation_kernel<ReLU> {
  static floats forward(floats z) { return relu_forward(z); }
  static floats derivative_from_output(floats a) { return xsimd::select(a > floats(0.0f), floats(1.0f), floats(0.0f)); }
};

template <>
struct activation_kernel<Linear> {
  static floats forward(floats z) { return linear_forward(z); }
  static floats derivative_from_output(floats) { return floats(1.0f); }
};

template <>
struct activation_kernel<Sigmoid> {
  static floats forward(floats z) { return sigmoid_forward(z); }
  static floats derivative_from_output(floats a) { return a * (floats(1.0f) - a); }
};

template <>
struct activation_kernel<Tanh> {
  static floats forward(floats z) { return tanh_forward(z); }
  static floats derivative_from_output(floats a) { return floats(1.0f) - a * a; }
};

// Softmax is applied row by row after the matrix product (see softmax.hpp); the product's
// epilogue only adds the bias. Its derivative is fused with the loss, so it has none here.
template <>
struct activation_kernel<ctnn::detail::SoftmaxActivation> {
  static floats forward(floats z) { return z; }
};

}  // namespace ctnn::codegen
