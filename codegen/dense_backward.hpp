// Backward pass of one layer: the loss gradient at the output, bias and kernel gradients
// (with the regulariser's derivative fused), and the gradient passed to the layer before.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "../dsl/regularizers.hpp"
#include "activation_kernels.hpp"
#include "gemm.hpp"

namespace ctnn::codegen {

struct LossSums {
  double loss = 0.0;          // sum over the batch of -log p(label)
  std::size_t correct = 0;    // samples whose most probable class is the label
};

// -log p(label) of one sample, p clipped to [1e-7, 1 - 1e-7] as Keras does, so that a
// confident mistake costs at most -log(1e-7) instead of infinity.
inline double cross_entropy(float probability_of_label) {
  constexpr float epsilon = 1e-7f;
  return -std::log(double(std::clamp(probability_of_label, epsilon, 1.0f - epsilon)));
}

// Whether the most probable of N classes (the first, on ties) is the label.
template <std::size_t N>
bool predicts(const float* probabilities, std::size_t label) {
  return std::size_t(std::max_element(probabilities, probabilities + N) - probabilities) == label;
}

// Softmax + categorical cross-entropy, fused: dZ = (p - onehot(label)) / rows.
template <std::size_t N, std::size_t Stride>
LossSums softmax_cross_entropy_delta(const float* probabilities, const std::int32_t* labels, std::size_t rows,
                                     float* delta) {
  const floats inverse_rows(1.0f / float(rows));
  LossSums sums;
  for (std::size_t r = 0; r < rows; ++r) {
    const float* p = probabilities + r * Stride;
    float* d = delta + r * Stride;
    const auto label = static_cast<std::size_t>(labels[r]);
    sums.loss += cross_entropy(p[label]);
    sums.correct += predicts<N>(p, label);
    CTNN_UNROLL for (std::size_t c = 0; c < Stride; c += lanes)
      (floats::load_aligned(p + c) * inverse_rows).store_aligned(d + c);
    d[label] -= 1.0f / float(rows);
  }
  return sums;
}

// db = column sums of dZ over the batch.
template <std::size_t Stride>
void bias_gradient(const float* delta, std::size_t rows, float* gradient) {
  CTNN_UNROLL for (std::size_t c = 0; c < Stride; c += lanes) {
    floats sum(0.0f);
    for (std::size_t r = 0; r < rows; ++r) sum += floats::load_aligned(delta + r * Stride + c);
    sum.store_aligned(gradient + c);
  }
}

// d(penalty)/dw = l1 * sign(w) + 2 * l2 * w, with sign(0) = 0.
template <Regularizer R>
floats regularizer_gradient(floats w) {
  floats g(0.0f);
  if constexpr (R::l1 != 0.0f)
    g = xsimd::select(w > floats(0.0f), floats(R::l1), xsimd::select(w < floats(0.0f), floats(-R::l1), floats(0.0f)));
  if constexpr (R::l2 != 0.0f) g = xsimd::fma(floats(2.0f * R::l2), w, g);
  return g;
}

// The penalty l1 * sum|w| + l2 * sum w^2 over a padded kernel (padding is zero).
template <Regularizer R>
double regularizer_penalty(const float* kernel, std::size_t floats_count) {
  if constexpr (!is_regularized<R>) {
    return 0.0;
  } else {
    floats absolute(0.0f), squares(0.0f);
    for (std::size_t i = 0; i < floats_count; i += lanes) {
      const floats w = floats::load_aligned(kernel + i);
      absolute += xsimd::abs(w);
      squares = xsimd::fma(w, w, squares);
    }
    return double(R::l1) * double(xsimd::hadd(absolute)) + double(R::l2) * double(xsimd::hadd(squares));
  }
}

// dW = X^T dZ (+ regulariser gradient). x: rows x inputs, row stride InputStride.
template <class Layer, std::size_t InputStride>
void kernel_gradient(const float* x, std::size_t rows, const float* delta, const float* kernel, float* gradient) {
  constexpr std::size_t stride = simd::padded(Layer::outputs);
  using R = typename Layer::regularizer;
  gemm<stride, AOrder::transposed, InputStride, stride>(Layer::inputs, rows, x, delta,
                                           [kernel, gradient](std::size_t r, std::size_t c, floats acc) {
                                             if constexpr (is_regularized<R>)
                                               acc += regularizer_gradient<R>(floats::load_aligned(kernel + r * stride + c));
                                             acc.store_aligned(gradient + r * stride + c);
                                           });
}

// Packs W (inputs x stride) as W^T (outputs x padded(inputs)), zero padding included.
template <class Layer>
void transpose_kernel(const float* kernel, float* packed) {
  constexpr std::size_t stride = simd::padded(Layer::outputs);
  constexpr std::size_t packed_stride = simd::padded(Layer::inputs);
  for (std::size_t o = 0; o < Layer::outputs; ++o) {
    float* row = packed + o * packed_stride;
    for (std::size_t i = 0; i < Layer::inputs; ++i) row[i] = kernel[i * stride + o];
    std::fill(row + Layer::inputs, row + packed_stride, 0.0f);
  }
}

// dZ_prev = (dZ W^T) * act'(A_prev), the activation derivative fused into the epilogue.
// previous_output: rows x padded(inputs), the previous layer's stored activations.
template <class Layer, Activation PreviousActivation>
void input_gradient(const float* delta, std::size_t rows, const float* packed_transposed_kernel,
                    const float* previous_output, float* previous_delta) {
  constexpr std::size_t stride = simd::padded(Layer::outputs);
  constexpr std::size_t previous_stride = simd::padded(Layer::inputs);
  using act = activation_kernel<PreviousActivation>;
  gemm<previous_stride, AOrder::rows, stride, previous_stride>(
      rows, fixed_count<Layer::outputs>{}, delta, packed_transposed_kernel,
      [previous_output, previous_delta](std::size_t r, std::size_t c, floats acc) {
        const std::size_t at = r * previous_stride + c;
        (acc * act::derivative_from_output(floats::load_aligned(previous_output + at))).store_aligned(previous_delta + at);
      });
}

}  // namespace ctnn::codegen
