// Forward pass of one layer, Y = Act(X W + b), with bias and activation fused into the
// product's epilogue.
#pragma once

#include <cstddef>
#include <type_traits>

#include "activation_kernels.hpp"
#include "gemm.hpp"
#include "softmax.hpp"

namespace ctnn::codegen {

// x: rows x Layer::inputs with row stride InputStride; y: rows x padded(outputs).
template <class Layer, std::size_t InputStride>
void dense_forward(const float* x, std::size_t rows, const float* kernel, const float* bias, float* y) {
  constexpr std::size_t stride = simd::padded(Layer::outputs);
  using act = activation_kernel<typename Layer::activation>;
  gemm<stride, AOrder::rows, InputStride, stride>(rows, fixed_count<Layer::inputs>{}, x, kernel,
                                     [y, bias](std::size_t r, std::size_t c, floats acc) {
                                       act::forward(acc + floats::load_aligned(bias + c)).store_aligned(y + r * stride + c);
                                     });
  if constexpr (std::is_same_v<typename Layer::activation, ctnn::detail::SoftmaxActivation>)
    softmax_rows<Layer::outputs, stride>(y, rows);
}

}  // namespace ctnn::codegen
