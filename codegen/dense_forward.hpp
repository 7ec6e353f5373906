// Forward pass of one layer, Y = Act(X W + b), with bias and activation fused into the
// product's epilogue.
#pragma once

#include <cstddef>
#include <type_traits>

#include "activation_kernels.hpp"
#include "extent.hpp"
#include "gemm.hpp"
#include "gemv.hpp"
#include "softmax.hpp"

namespace ctnn::codegen {

// x: rows x shape.inputs with row stride shape.input_stride; y: rows x shape.stride().
// A single sample known as such at compile time (rows = fixed<1>) takes the matrix-vector path.
template <Activation Act, class Shape, Extent Rows>
void dense_forward(Shape shape, const float* x, Rows rows, const float* kernel, const float* bias, float* y) {
  const auto stride = shape.stride();
  using act = activation_kernel<Act>;
  auto epilogue = [y, bias, stride](std::size_t r, std::size_t c, floats acc) {
    act::forward(acc + floats::load_aligned(bias + c)).store_aligned(y + r * std::size_t(stride) + c);
  };
  if constexpr (std::is_same_v<Rows, fixed<1>>) gemv(stride, shape.inputs, stride, x, kernel, epilogue);
  else gemm<AOrder::rows>(rows, stride, shape.inputs, shape.input_stride, stride, x, kernel, epilogue);
  if constexpr (std::is_same_v<Act, ctnn::detail::SoftmaxActivation>) softmax_rows(shape.outputs, stride, y, rows);
}

}  // namespace ctnn::codegen
