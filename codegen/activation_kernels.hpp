// Vector code for each activation: the forward function and its derivative written in terms of
// the activation's output, so that backward needs only the stored outputs, never the inputs.
#pragma once

#include "../dsl/activations.hpp"
#include "simd.hpp"

namespace ctnn::codegen {

using simd::floats;

template <Activation A>
struct activation_kernel;

template <>
struct activation_kernel<ReLU> {
  // A NaN must pass through (it is false for z < 0) so that divergence is reported at the batch
  // where it happens. Written as a select rather than xsimd::max: GCC 12 reports a false
  // maybe-uninitialized inside the AVX-512 max intrinsic.
  static floats forward(floats z) { return xsimd::select(z < floats(0.0f), floats(0.0f), z); }
  static floats derivative_from_output(floats a) { return xsimd::select(a > floats(0.0f), floats(1.0f), floats(0.0f)); }
};

template <>
struct activation_kernel<Linear> {
  static floats forward(floats z) { return z; }
  static floats derivative_from_output(floats) { return floats(1.0f); }
};

template <>
struct activation_kernel<Sigmoid> {
  static floats forward(floats z) { return floats(1.0f) / (floats(1.0f) + xsimd::exp(-z)); }
  static floats derivative_from_output(floats a) { return a * (floats(1.0f) - a); }
};

template <>
struct activation_kernel<Tanh> {
  static floats forward(floats z) { return xsimd::tanh(z); }
  static floats derivative_from_output(floats a) { return floats(1.0f) - a * a; }
};

// Softmax is applied row by row after the matrix product (see softmax.hpp); the product's
// epilogue only adds the bias. Its derivative is fused with the loss, so it has none here.
template <>
struct activation_kernel<detail::SoftmaxActivation> {
  static floats forward(floats z) { return z; }
};

}  // namespace ctnn::codegen
