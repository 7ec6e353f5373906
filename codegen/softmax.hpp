// Row-wise softmax over the n real columns of a padded row; the padding comes out as zeros.
#pragma once

#include <algorithm>
#include <cstddef>

#include "extent.hpp"
#include "gemm.hpp"

namespace ctnn::codegen {

template <Extent N, Extent Stride>
void softmax_rows(N n, Stride stride, float* y, std::size_t rows) {
  const std::size_t vectors = std::size_t(stride) / lanes;
  const std::size_t tail = std::size_t(n) % lanes;
  const floats lane = simd::lane_indices();
  for (std::size_t r = 0; r < rows; ++r) {
    float* row = y + r * std::size_t(stride);
    // Subtracting the row maximum keeps exp() finite for any logits.
    const float largest = *std::max_element(row, row + std::size_t(n));
    floats total(0.0f);
    CTNN_UNROLL for (std::size_t v = 0; v < vectors; ++v) {
      floats e = xsimd::exp(floats::load_aligned(row + v * lanes) - floats(largest));
      if (tail != 0 && v == vectors - 1) e = xsimd::select(lane < floats(float(tail)), e, floats(0.0f));
      e.store_aligned(row + v * lanes);
      total += e;
    }
    const floats scale(1.0f / xsimd::hadd(total));
    CTNN_UNROLL for (std::size_t v = 0; v < vectors; ++v)
      (floats::load_aligned(row + v * lanes) * scale).store_aligned(row + v * lanes);
  }
}

}  // namespace ctnn::codegen
