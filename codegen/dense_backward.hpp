// Backward pass of one layer: bias and kernel gradients (with the regulariser's derivative
// fused), and the gradient passed to the layer before.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <type_traits>

#include "../dsl/regularizers.hpp"
#include "extent.hpp"
#include "gemm.hpp"
#include "narrow_product.hpp"
#include "process_share.hpp"
#include "product_plan.hpp"
#include "thread_pool.hpp"

namespace ctnn::codegen {

// Where the backward kernels put each finished vector of a gradient: sink(offset, g), offset in
// floats from the start of the layer's kernel (or bias). StoreGradient writes it to an array;
// the training step can pass one that applies the optimiser's update right away instead, which
// saves writing the gradient and reading it back.
struct StoreGradient {
  float* gradient;
  void operator()(std::size_t at, floats g) const { g.store_aligned(gradient + at); }
};

namespace detail {

// The sums over the rows of columns [c0, c0 + Width * lanes) of delta.
template <std::size_t Width, class Sink>
void column_sums(const float* delta, std::size_t row_floats, std::size_t rows, std::size_t c0, Sink& sink) {
  floats sums[Width];
  for (std::size_t j = 0; j < Width; ++j) sums[j] = floats(0.0f);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t j = 0; j < Width; ++j) sums[j] += floats::load_aligned(delta + r * row_floats + c0 + j * lanes);
  for (std::size_t j = 0; j < Width; ++j) sink(c0 + j * lanes, sums[j]);
}

}  // namespace detail

// db = column sums of dZ over the batch: up to 8 vectors of columns per pass over the rows (a
// convolution's batch has tens of thousands of rows), each column summed in row order, so any split
// of the columns over threads gives the same sums; the split is in whole cache lines of a row, which
// each thread then reads alone. Shared by several processes, the bias, one row, is the last one's
// (process_share.hpp: rows of each tensor).
template <Extent Stride, class Sink>
void bias_gradient(Stride stride, const float* delta, std::size_t rows, Sink&& sink, ProcessShare share = {},
                   std::size_t threads = 1) {
  if (share.rows(1).size() == 0) return;
  const std::size_t row_floats = stride;
  constexpr std::size_t line_floats = std::max<std::size_t>(lanes, 64 / sizeof(float));
  parallel_ranges(threads, row_floats, line_floats, rows_worth_a_thread(rows), [&](std::size_t begin, std::size_t end) {
    std::size_t c = begin;
    for (; c + 8 * lanes <= end; c += 8 * lanes) detail::column_sums<8>(delta, row_floats, rows, c, sink);
    if (c + 4 * lanes <= end) detail::column_sums<4>(delta, row_floats, rows, c, sink), c += 4 * lanes;
    if (c + 2 * lanes <= end) detail::column_sums<2>(delta, row_floats, rows, c, sink), c += 2 * lanes;
    if (c < end) detail::column_sums<1>(delta, row_floats, rows, c, sink);
  });
}
template <Extent Stride>
void bias_gradient(Stride stride, const float* delta, std::size_t rows, float* gradient) {
  bias_gradient(stride, delta, rows, StoreGradient{gradient});
}

// A regulariser as the kernels read it: anything with l1 and l2 members, static constants for a
// DSL type (L2<0.01>{}), run-time values for the engine.
template <class R>
bool regularizes(const R& r) { return r.l1 != 0.0f || r.l2 != 0.0f; }

// An L1 coefficient as regularizer_gradient reads it.
struct L1Only {
  float l1;
  float l2 = 0.0f;
};

// d(penalty)/dw = l1 * sign(w) + 2 * l2 * w, with sign(0) = 0.
template <class R>
floats regularizer_gradient(const R& r, floats w) {
  floats g(0.0f);
  if (r.l1 != 0.0f)
    g = xsimd::select(w > floats(0.0f), floats(r.l1), xsimd::select(w < floats(0.0f), floats(-r.l1), floats(0.0f)));
  if (r.l2 != 0.0f) g = simd::fma(floats(2.0f * r.l2), w, g);
  return g;
}

// The penalty l1 * sum|w| + l2 * sum w^2 over a padded kernel (padding is zero).
template <class R>
double regularizer_penalty(const R& r, const float* kernel, std::size_t floats_count) {
  if (!regularizes(r)) return 0.0;
  floats absolute(0.0f), squares(0.0f);
  for (std::size_t i = 0; i < floats_count; i += lanes) {
    const floats w = floats::load_aligned(kernel + i);
    absolute += xsimd::abs(w);
    squares = simd::fma(w, w, squares);
  }
  return double(r.l1) * double(xsimd::hadd(absolute)) + double(r.l2) * double(xsimd::hadd(squares));
}

// The kernel-gradient product dW = X^T dZ of `rows` rows of X (input_stride floats apart), of which
// this process computes the rows of dW named `inputs` (all of them but over several processes):
// split over dW's columns or rows as dense_forward_product splits the layer, each sum over the batch
// whole; for a layer of a few units, computed transposed with X's columns in lanes where that fills
// more of them (narrow_pays), split over dW's rows.
constexpr Product kernel_gradient_product(std::size_t inputs, std::size_t outputs, std::size_t rows, std::size_t all_inputs,
                                          std::size_t input_stride) {
  const std::size_t stride = simd::padded(outputs);
  Product p{.name = "kernel gradient", .m = inputs, .n = outputs, .k = rows, .ldb = stride, .a_transposed = true,
            .lda = input_stride, .depth_is_batch = true};
  if (narrow_pays(all_inputs, outputs))
    p.kernel = ProductKernel::narrow, p.split = SplitOver::rows, p.split_count = inputs, p.grain = lanes,
    p.min_count = rows_worth_a_thread(rows * outputs);
  else if (split_by_kernel_columns(all_inputs, stride))
    p.split = SplitOver::columns, p.split_count = stride, p.grain = lanes, p.min_count = rows_worth_a_thread(rows * inputs) * lanes;
  else
    p.split = SplitOver::rows, p.split_count = inputs, p.grain = tile_rows, p.min_count = rows_worth_a_thread(rows * stride);
  return p;
}

// dW = X^T dZ (+ regulariser gradient), each vector handed to `sink` (see StoreGradient).
// x: rows x inputs, row stride shape.input_stride (kernel_gradient_product). Shared by several
// processes, this one computes the rows of dW its share names.
template <class Shape, class R, Extent Rows, class Sink>
void kernel_gradient(Shape shape, const R& regularizer, const float* x, Rows rows, const float* delta,
                     const float* kernel, Sink&& sink, std::size_t threads = 1, ProcessShare share = {}) {
  const auto stride = shape.stride();
  const bool regularized = regularizes(regularizer);
  const std::size_t row_floats = stride;
  const IndexRange mine = share.rows(shape.inputs);
  const Product product = kernel_gradient_product(mine.size(), shape.outputs, rows, shape.inputs, shape.input_stride);
  // The epilogue of a part whose element (r, c) is `part + r * row_floats + c` floats into the kernel.
  const auto gradient_part = [&](std::size_t part) {
    return [=, &regularizer, &sink](std::size_t r, std::size_t c, floats acc) {
      const std::size_t at = part + r * row_floats + c;
      if (regularized) acc += regularizer_gradient(regularizer, floats::load_aligned(kernel + at));
      sink(at, acc);
    };
  };
  // Generic, so that only a layer that takes it compiles it (narrow_product.hpp).
  const auto narrow = [&](auto outputs) {
    product.parallel(threads, [&](std::size_t from, std::size_t to) {
      const std::size_t first = mine.begin + from;
      narrow_product(to - from, outputs, std::size_t(rows), shape.input_stride, stride, x + first, delta,
                     gradient_part(first * row_floats));
    });
  };
  if constexpr (is_fixed<decltype(shape.inputs)> && is_fixed<decltype(shape.outputs)>) {
    if constexpr (narrow_pays(shape.inputs, shape.outputs)) return narrow(shape.outputs);
  } else if (narrow_pays(std::size_t(shape.inputs), std::size_t(shape.outputs))) {
    return narrow(std::size_t(shape.outputs));
  }
  choose(
      splits_by_kernel_columns(shape.inputs, stride),  // as dense_forward splits this layer
      [&] {
        product.parallel(threads, [&](std::size_t first, std::size_t end) {
          gemm<AOrder::transposed>(mine.size(), end - first, rows, shape.input_stride, stride, x + mine.begin, delta + first,
                                   gradient_part(mine.begin * row_floats + first));
        });
      },
      [&] {
        product.parallel(threads, [&](std::size_t from, std::size_t to) {
          const std::size_t first = mine.begin + from;
          gemm<AOrder::transposed>(to - from, stride, rows, shape.input_stride, stride, x + first, delta,
                                   gradient_part(first * row_floats));
        });
      });
}

template <class Shape, class R, Extent Rows>
void kernel_gradient(Shape shape, const R& regularizer, const float* x, Rows rows, const float* delta,
                     const float* kernel, float* gradient, std::size_t threads = 1) {
  kernel_gradient(shape, regularizer, x, rows, delta, kernel, StoreGradient{gradient}, threads);
}

// Packs W (inputs x stride) as W^T (outputs x padded(inputs)), zero padding included, on up to
// `threads` threads, each writing its own rows of W^T (a copy: the same for any split). Sixteen
// columns of W at a time down all its rows: each row of W gives one cache line, and the sixteen rows
// of W^T being written advance together. In blocks of 16 rows of W, a column of the block per row of
// W^T, CNN A's 5408 x 128 Dense kernel took 0.55-1.5 ms instead of 0.35-0.39 (one thread, AMD Zen 3):
// up to a tenth of its training step, all of it on one thread. The copy is bound by memory, so it is
// compiled once, in the library (dense_backward.cpp), for sizes known at run time: with a Net's fixed
// sizes every layer unrolled a copy of its own (examples/train_seed.cpp: 16 KiB more code).
// The strides come from the caller, whose vector width sets the padding.
void transpose_kernel(std::size_t inputs, std::size_t outputs, std::size_t stride, std::size_t packed_stride,
                      const float* kernel, float* packed, std::size_t threads);
template <class Shape>
void transpose_kernel(Shape shape, const float* kernel, float* packed, std::size_t threads = 1) {
  transpose_kernel(shape.inputs, shape.outputs, shape.stride(), shape.padded_inputs(), kernel, packed, threads);
}

// The activity penalty c * sum(|a|) of a layer's outputs over the batch (real columns only: the
// padding of sigmoid outputs is not zero).
template <Extent Outputs, Extent Stride>
double activity_penalty(float c, Outputs outputs, Stride stride, const float* output, std::size_t rows) {
  double total = 0.0;
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t o = 0; o < std::size_t(outputs); ++o) total += std::abs(double(output[r * std::size_t(stride) + o]));
  return double(c) * total;
}

// The backward steps below a layer (`steps(offset, g)`, offset from the start of the whole
// gradient) on each finished vector of dX, into rows `stride` floats apart, which also hold the
// partial sums of a product run in blocks of k.
template <class Steps, Extent Stride>
struct InputGradientEpilogue {
  const Steps& steps;
  float* out;
  std::size_t offset;
  Stride stride;
  float* partial(std::size_t r, std::size_t c) const { return out + r * std::size_t(stride) + c; }
  void operator()(std::size_t r, std::size_t c, floats acc) const {
    const std::size_t at = r * std::size_t(stride) + c;
    steps(offset + at, acc).store_aligned(out + at);
  }
};

// The input-gradient product dX = dZ W^T of `rows` rows (this process's), split over them.
constexpr Product input_gradient_product(std::size_t inputs, std::size_t outputs, std::size_t rows) {
  const std::size_t padded_inputs = simd::padded(inputs);
  return {.name = "input gradient", .m = rows, .n = inputs, .k = outputs, .ldb = padded_inputs, .holds_partial_sums = true,
          .split = SplitOver::rows, .split_count = rows, .grain = tile_rows,
          .min_count = rows_worth_a_thread(outputs * padded_inputs)};
}

// dX = dZ W^T, each finished vector passed through `epilogue(offset, g)` before it is stored
// (offset in floats from the start of previous_delta): the backward steps of the element-wise
// layers below, fused (see backward_epilogue.hpp). Split over the batch's rows; with a share of
// several processes, this process's rows only.
template <class Shape, class Epilogue>
void input_gradient(Shape shape, const float* delta, std::size_t rows, const float* packed_transposed_kernel,
                    const Epilogue& epilogue, float* previous_delta, std::size_t threads = 1, ProcessShare share = {}) {
  const auto stride = shape.stride();
  const auto previous_stride = shape.padded_inputs();
  const std::size_t row_floats = stride, previous_row_floats = previous_stride;
  const IndexRange mine = share.rows(rows);
  input_gradient_product(shape.inputs, shape.outputs, mine.size()).parallel(threads, [&](std::size_t from, std::size_t to) {
    const std::size_t first = mine.begin + from;
    const std::size_t part = first * previous_row_floats;
    float* delta_part = previous_delta + part;
    gemm<AOrder::rows>(to - from, previous_stride, shape.outputs, stride, previous_stride, delta + first * row_floats,
                       packed_transposed_kernel,
                       InputGradientEpilogue<Epilogue, std::remove_const_t<decltype(previous_stride)>>{epilogue, delta_part, part,
                                                                                                        previous_stride});
  });
}

}  // namespace ctnn::codegen
