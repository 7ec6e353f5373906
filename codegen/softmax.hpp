// Row-wise softmax over the N real columns of a padded row; the padding comes out as zeros.
#pragma once

#include <algorithm>
#include <cstddef>

#include "gemm.hpp"

namespace ctnn::codegen {

template <std::size_t N, std::size_t Stride>
void softmax_rows(float* y, std::size_t rows) {
  constexpr std::size_t vectors = Stride / lanes;
  const floats lane = simd::lane_indices();
  for (std::size_t r = 0; r < rows; ++r) {
    float* row = y + r * Stride;
    // Subtracting the row maximum keeps exp() finite for any logits.
    const float largest = *std::max_element(row, row + N);
    floats total(0.0f);
    CTNN_UNROLL for (std::size_t v = 0; v < vectors; ++v) {
      floats e = xsimd::exp(floats::load_aligned(row + v * lanes) - floats(largest));
      if constexpr (N % lanes != 0)
        if (v == vectors - 1) e = xsimd::select(lane < floats(float(N - v * lanes)), e, floats(0.0f));
      e.store_aligned(row + v * lanes);
      total += e;
    }
    const floats scale(1.0f / xsimd::hadd(total));
    CTNN_UNROLL for (std::size_t v = 0; v < vectors; ++v)
      (floats::load_aligned(row + v * lanes) * scale).store_aligned(row + v * lanes);
  }
}

}  // namespace ctnn::codegen
