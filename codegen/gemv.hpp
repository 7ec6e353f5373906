// The product of one row with a matrix, y = x B, for predicting a single sample. A register tile
// of gemm would give each output vector one accumulator, and a long reduction would then wait on
// the FMA latency at every step; here up to `accumulators` independent sums are kept in flight:
// several column vectors at once, and for narrow layers several partial sums over k as well.
#pragma once

#include <algorithm>
#include <cstddef>

#include "extent.hpp"
#include "gemm.hpp"

namespace ctnn::codegen {

// Enough independent FMA chains to cover latency x throughput, leaving registers for loads.
inline constexpr std::size_t gemv_accumulators = simd::vector_registers >= 32 ? 16 : 8;

namespace detail {

// Columns [col0, col0 + Vectors * lanes), with Split partial sums over k (k % Split of them last).
template <std::size_t Vectors, Extent K, Extent LDB, class Epilogue>
[[gnu::always_inline]] inline void gemv_strip(std::size_t col0, K k, LDB ldb, const float* x, const float* b,
                                              Epilogue& epilogue) {
  constexpr std::size_t split = std::max<std::size_t>(1, std::min<std::size_t>(4, gemv_accumulators / Vectors));
  const std::size_t b_stride = ldb, depth = k;
  floats acc[split][Vectors];
  CTNN_UNROLL for (std::size_t s = 0; s < split; ++s)
    CTNN_UNROLL for (std::size_t j = 0; j < Vectors; ++j) acc[s][j] = floats(0.0f);
  const float* b_strip = b + col0;
  const std::size_t split_end = depth / split * split;
  for (std::size_t kk = 0; kk < split_end; kk += split)
    CTNN_UNROLL for (std::size_t s = 0; s < split; ++s) {
      const floats x_value(x[kk + s]);
      CTNN_UNROLL for (std::size_t j = 0; j < Vectors; ++j)
        acc[s][j] = xsimd::fma(x_value, floats::load_aligned(b_strip + (kk + s) * b_stride + j * lanes), acc[s][j]);
    }
  for (std::size_t kk = split_end; kk < depth; ++kk) {
    const floats x_value(x[kk]);
    CTNN_UNROLL for (std::size_t j = 0; j < Vectors; ++j)
      acc[0][j] = xsimd::fma(x_value, floats::load_aligned(b_strip + kk * b_stride + j * lanes), acc[0][j]);
  }
  CTNN_UNROLL for (std::size_t j = 0; j < Vectors; ++j) {
    floats total = acc[0][j];
    CTNN_UNROLL for (std::size_t s = 1; s < split; ++s) total += acc[s][j];
    epilogue(std::size_t{0}, col0 + j * lanes, total);
  }
}

}  // namespace detail

// y (1 x n) = x (1 x k) * B (k x n); B as in gemm. epilogue(0, col, acc) as in gemm.
template <Extent N, Extent K, Extent LDB, class Epilogue>
[[gnu::flatten]] void gemv(N n, K k, LDB ldb, const float* x, const float* b, Epilogue&& epilogue) {
  const std::size_t vectors = std::size_t(n) / lanes;
  const std::size_t full_strips = vectors / gemv_accumulators;
  for (std::size_t s = 0; s < full_strips; ++s)
    detail::gemv_strip<gemv_accumulators>(s * gemv_accumulators * lanes, k, ldb, x, b, epilogue);
  const std::size_t last_col0 = full_strips * gemv_accumulators * lanes;
  if constexpr (is_fixed<N>) {
    constexpr std::size_t rest = N::value / lanes % gemv_accumulators;
    if constexpr (rest != 0) detail::gemv_strip<rest>(last_col0, k, ldb, x, b, epilogue);
  } else {
    detail::with_fixed_remainder<gemv_accumulators>(
        vectors % gemv_accumulators, [&](auto width) { detail::gemv_strip<decltype(width)::value>(last_col0, k, ldb, x, b, epilogue); });
  }
}

}  // namespace ctnn::codegen
