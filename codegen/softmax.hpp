// Row-wise softmax over the n real columns of padded rows; the padding comes out as zeros.
#pragma once

#include <cstddef>

#include "extent.hpp"
#include "inference_kernels.hpp"

namespace ctnn::codegen {

namespace detail {

// softmax_row on Rows rows at once, each phase (maxima; exponentials and their sums; scaling) over
// all of them before the next. One row is a chain of long latencies (exp, the horizontal sum, the
// division) that leaves the core idle; rows side by side overlap their chains. Every row's
// arithmetic is softmax_row's, operation for operation, so the results are the same bit for bit.
template <std::size_t Rows, Extent N, Extent Stride>
[[gnu::always_inline]] inline void softmax_block(N n, Stride stride, float* y) {
  const std::size_t row_floats = stride, vectors = row_floats / lanes, tail = std::size_t(n) % lanes;
  const floats lane = lane_indices();
  float largest[Rows];
  CTNN_UNROLL for (std::size_t r = 0; r < Rows; ++r) {
    // max_element's comparison without its branch, which random rows mispredict half the time
    const float* row = y + r * row_floats;
    largest[r] = row[0];
    for (std::size_t c = 1; c < std::size_t(n); ++c) largest[r] = largest[r] < row[c] ? row[c] : largest[r];
  }
  floats total[Rows];
  CTNN_UNROLL for (std::size_t r = 0; r < Rows; ++r) total[r] = floats(0.0f);
  for (std::size_t v = 0; v < vectors; ++v)
    CTNN_UNROLL for (std::size_t r = 0; r < Rows; ++r) {
      float* at = y + r * row_floats + v * lanes;
      floats e = xsimd::exp(floats::load_aligned(at) - floats(largest[r]));
      if (tail != 0 && v == vectors - 1) e = xsimd::select(lane < floats(float(tail)), e, floats(0.0f));
      e.store_aligned(at);
      total[r] += e;
    }
  float scale[Rows];
  CTNN_UNROLL for (std::size_t r = 0; r < Rows; ++r) scale[r] = 1.0f / xsimd::hadd(total[r]);
  for (std::size_t v = 0; v < vectors; ++v)
    CTNN_UNROLL for (std::size_t r = 0; r < Rows; ++r) {
      float* at = y + r * row_floats + v * lanes;
      (floats::load_aligned(at) * floats(scale[r])).store_aligned(at);
    }
}

}  // namespace detail

// Eight rows at a time (softmax_block), the rest one by one.
template <Extent N, Extent Stride>
void softmax_rows(N n, Stride stride, float* y, std::size_t rows) {
  constexpr std::size_t block = 8;
  const std::size_t row_floats = stride;
  std::size_t r = 0;
  for (; r + block <= rows; r += block) detail::softmax_block<block>(n, stride, y + r * row_floats);
  for (; r < rows; ++r) softmax_row(n, stride, y + r * row_floats);
}

}  // namespace ctnn::codegen
