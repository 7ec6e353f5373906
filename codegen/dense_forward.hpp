// Forward pass of one layer, Y = Act(X W + b), with bias and activation fused into the
// product's epilogue.
#pragma once

#include <cstddef>
#include <type_traits>

#include "activation_kernels.hpp"
#include "extent.hpp"
#include "gemm.hpp"
#include "gemv.hpp"
#include "product_plan.hpp"
#include "softmax.hpp"
#include "thread_pool.hpp"

namespace ctnn::codegen {

// Bias and activation on each finished vector of sums, into rows `stride` floats apart, which
// also hold the partial sums of a product run in blocks of k.
template <class Act, Extent Stride>
struct ForwardEpilogue {
  float* y;
  const float* bias;
  Stride stride;
  float* partial(std::size_t r, std::size_t c) const { return y + r * std::size_t(stride) + c; }
  void operator()(std::size_t r, std::size_t c, floats acc) const {
    Act::forward(acc + floats::load_aligned(bias + c)).store_aligned(partial(r, c));
  }
};

// The forward product of a batch (product_plan.hpp): split over the kernel's columns for large
// kernels (split_by_kernel_columns), else over rows; a softmax layer over rows, which softmax_rows
// then finishes while they are in cache.
constexpr Product dense_forward_product(std::size_t inputs, std::size_t outputs, std::size_t rows, bool softmax) {
  const std::size_t stride = simd::padded(outputs);
  Product p{.name = "forward", .m = rows, .n = outputs, .k = inputs, .ldb = stride, .holds_partial_sums = true};
  if (!softmax && split_by_kernel_columns(inputs, stride))
    p.split = SplitOver::columns, p.split_count = stride, p.grain = lanes, p.min_count = rows_worth_a_thread(rows * inputs) * lanes;
  else
    p.split = SplitOver::rows, p.split_count = rows, p.grain = tile_rows, p.min_count = rows_worth_a_thread(inputs * stride);
  return p;
}

// dense_forward of a batch.
template <ActivationFunction Act, class Shape>
void dense_forward_batch(Shape shape, const float* x, std::size_t rows, const float* kernel, const float* bias, float* y,
                         std::size_t threads) {
  const auto stride = shape.stride();
  using act = activation_kernel<Act>;
  constexpr bool softmax = std::is_same_v<Act, ctnn::detail::SoftmaxActivation>;
  const Product product = dense_forward_product(shape.inputs, shape.outputs, rows, softmax);
  // A layer's split is known at compile time in the generated code: only its branch is compiled.
  const auto split = [&] {
    if constexpr (softmax) return std::false_type{};
    else return splits_by_kernel_columns(shape.inputs, stride);
  }();
  choose(
      split,
      [&] {
        const std::size_t row_floats = stride;
        product.parallel(threads, [&](std::size_t first, std::size_t end) {
          gemm<AOrder::rows>(rows, end - first, shape.inputs, shape.input_stride, stride, x, kernel + first,
                             ForwardEpilogue<act, std::size_t>{y + first, bias + first, row_floats});
        });
      },
      [&] {
        const std::size_t input_stride = shape.input_stride, row_floats = stride;
        product.parallel(threads, [&](std::size_t first, std::size_t end) {
          float* y_part = y + first * row_floats;
          gemm<AOrder::rows>(end - first, stride, shape.inputs, shape.input_stride, stride, x + first * input_stride, kernel,
                             ForwardEpilogue<act, std::remove_const_t<decltype(stride)>>{y_part, bias, stride});
          if constexpr (softmax) softmax_rows(shape.outputs, stride, y_part, end - first);
        });
      });
}

// x: rows x shape.inputs with row stride shape.input_stride; y: rows x shape.stride().
// A single sample known as such at compile time (rows = fixed<1>) takes the matrix-vector path,
// on the calling thread; batches are split over up to `threads` threads, by the kernel's columns
// for large kernels (split_by_kernel_columns), else by rows.
template <ActivationFunction Act, class Shape, Extent Rows>
void dense_forward(Shape shape, const float* x, Rows rows, const float* kernel, const float* bias, float* y,
                   std::size_t threads = 1) {
  const auto stride = shape.stride();
  using act = activation_kernel<Act>;
  constexpr bool softmax = std::is_same_v<Act, ctnn::detail::SoftmaxActivation>;
  if constexpr (std::is_same_v<Rows, fixed<1>>) {
    gemv(stride, shape.inputs, stride, x, kernel, [y, bias](std::size_t, std::size_t c, floats acc) {
      act::forward(acc + floats::load_aligned(bias + c)).store_aligned(y + c);
    });
    if constexpr (softmax) softmax_rows(shape.outputs, stride, y, 1);
  } else {
    dense_forward_batch<Act>(shape, x, rows, kernel, bias, y, threads);
  }
}

}  // namespace ctnn::codegen
