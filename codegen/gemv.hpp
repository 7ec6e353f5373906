// The product of one row with a matrix, y = x B, for predicting a single sample: the strips of
// inference_kernels.inc, over columns known at compile time or at run time.
#pragma once

#include <cstddef>

#include "extent.hpp"
#include "gemm.hpp"
#include "inference_kernels.hpp"

namespace ctnn::codegen {

// y (1 x n) = x (1 x k) * B (k x n); B as in gemm. epilogue(0, col, acc) as in gemm.
template <Extent N, Extent K, Extent LDB, class Epilogue>
[[gnu::flatten]] void gemv(N n, K k, LDB ldb, const float* x, const float* b, Epilogue&& epilogue) {
  if constexpr (is_fixed<N>) {
    gemv_fixed_columns<N::value>(k, ldb, x, b, epilogue);
  } else {
    const std::size_t vectors = n / lanes, full_strips = vectors / gemv_accumulators;
    for (std::size_t s = 0; s < full_strips; ++s)
      gemv_strip<gemv_accumulators>(s * gemv_accumulators * lanes, k, ldb, x, b, epilogue);
    detail::with_fixed_remainder<gemv_accumulators>(vectors % gemv_accumulators, [&](auto width) {
      gemv_strip<decltype(width)::value>(full_strips * gemv_accumulators * lanes, k, ldb, x, b, epilogue);
    });
  }
}

}  // namespace ctnn::codegen
