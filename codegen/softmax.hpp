// Row-wise softmax over the n real columns of padded rows; the padding comes out as zeros.
#pragma once

#include <cstddef>

#include "extent.hpp"
#include "inference_kernels.hpp"
#include "rows_in_lanes.hpp"

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

// Softmax of `lanes` rows of at most narrow_columns classes, row r in lane r: a row's classes
// are gathered into one vector each, so that exp and the divisions run on `lanes` rows at once
// instead of on one mostly padded vector per row. The sum of a row's exponentials is added in
// the order xsimd::hadd adds a padded row of up to 8 values on 8 or 16 lanes (the upper half, all
// zeros, onto the lower; then x_i + x_(i+4); then (s_0 + s_1) + (s_2 + s_3)), and every other
// step is softmax_row's, so each row's result is softmax_row's bit for bit. The rows' padding
// comes out as zeros.
template <Extent N, Extent Stride>
[[gnu::always_inline]] inline void softmax_narrow_block(N n, Stride stride, float* y) {
  const std::size_t row_floats = stride, classes = n;
  const ints row_starts = lane_multiples(row_floats);
  floats e[narrow_columns];
  CTNN_UNROLL for (std::size_t c = 0; c < classes; ++c) e[c] = gather_first(y + c, row_starts, lanes);
  floats largest = e[0];
  CTNN_UNROLL for (std::size_t c = 1; c < classes; ++c) largest = xsimd::select(largest < e[c], e[c], largest);
  CTNN_UNROLL for (std::size_t c = 0; c < classes; ++c) e[c] = xsimd::exp(e[c] - largest);
  floats quarter[4];  // x_i + x_(i+4) where there is an x_(i+4), x_i where not, zero past n
  CTNN_UNROLL for (std::size_t i = 0; i < 4; ++i)
    quarter[i] = i >= classes ? floats(0.0f) : i + 4 < classes ? e[i] + e[i + 4] : e[i];
  const floats low = classes > 1 ? quarter[0] + quarter[1] : quarter[0];
  const floats total = classes > 2 ? low + (classes > 3 ? quarter[2] + quarter[3] : quarter[2]) : low;
  const floats scale = floats(1.0f) / total;
  CTNN_UNROLL for (std::size_t c = 0; c < classes; ++c) e[c] *= scale;
  store_rows(e, classes, y, row_floats);
}

}  // namespace detail

// Rows of at most narrow_columns classes `lanes` at a time (softmax_narrow_block) where the target
// has 8 or 16 lanes, other rows eight at a time (softmax_block); the rest one by one.
template <Extent N, Extent Stride>
void softmax_rows(N n, Stride stride, float* y, std::size_t rows) {
  constexpr std::size_t block = 8;
  const std::size_t row_floats = stride;
  std::size_t r = 0;
  if (has_rows_in_lanes && std::size_t(n) <= narrow_columns)
    for (; r + lanes <= rows; r += lanes) detail::softmax_narrow_block(n, stride, y + r * row_floats);
  for (; r + block <= rows; r += block) detail::softmax_block<block>(n, stride, y + r * row_floats);
  for (; r < rows; ++r) softmax_row(n, stride, y + r * row_floats);
}

}  // namespace ctnn::codegen
