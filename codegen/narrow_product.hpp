// Products whose result C (m x n) has only a few columns (a layer of at most narrow_columns units),
// computed transposed: A's rows in the lanes, each of C's columns in registers of its own. gemm
// gives every row of C a whole vector, mostly padding there (a 24 x 8 kernel gradient fills 8 of
// 16 lanes, an 8 x 2 one 2 of 16); here only the lanes past A's last row are idle. Each C[i][j] is
// the chain of fused multiply-adds over k, in order, from zero, that gemm computes, so the results
// are gemm's bit for bit; the epilogue receives C's rows as from gemm, one padded vector each.
#pragma once

#include <algorithm>
#include <cstddef>

#include "extent.hpp"
#include "gemm.hpp"
#include "rows_in_lanes.hpp"

namespace ctnn::codegen {

// Whether a product of m x n results computes fewer lanes transposed: rows padded to whole vectors
// instead of columns.
constexpr bool narrow_pays(std::size_t m, std::size_t n) {
  return has_rows_in_lanes && n <= narrow_columns && simd::padded(m) * n < m * simd::padded(n);
}
// narrow_pays of extents: a std::bool_constant when both are fixed.
template <Extent M, Extent N>
constexpr auto narrow_pays(M m, N n) {
  if constexpr (is_fixed<M> && is_fixed<N>) return std::bool_constant<narrow_pays(M::value, N::value)>{};
  else return narrow_pays(std::size_t(m), std::size_t(n));
}

// Vectors of A's rows a block holds for n columns: its accumulators (vectors x n), the A vectors and
// one broadcast of B fit the registers.
constexpr std::size_t narrow_block_vectors(std::size_t n) {
  return std::clamp<std::size_t>((simd::vector_registers - 4) / (n + 1), 1, 4);
}

namespace detail {

// Rows [row0, row0 + rows) of C, rows <= Vectors * lanes, with A read transposed (a[kk * lda + i]).
template <std::size_t Vectors, std::size_t N, Extent K, Extent LDA, Extent LDB, class Epilogue>
[[gnu::always_inline]] inline void narrow_block(std::size_t row0, std::size_t rows, K k, LDA lda, LDB ldb, const float* a,
                                                const float* b, Epilogue& epilogue) {
  floats acc[Vectors][N];
  CTNN_UNROLL for (std::size_t v = 0; v < Vectors; ++v)
    CTNN_UNROLL for (std::size_t j = 0; j < N; ++j) acc[v][j] = floats(0.0f);
  const std::size_t a_stride = lda, b_stride = ldb, last = rows - (Vectors - 1) * lanes;  // rows in the last vector
  for (std::size_t kk = 0; kk < std::size_t(k); ++kk) {
    const float* a_row = a + kk * a_stride + row0;
    floats x[Vectors];
    CTNN_UNROLL for (std::size_t v = 0; v + 1 < Vectors; ++v) x[v] = floats::load_unaligned(a_row + v * lanes);
    x[Vectors - 1] = load_first(a_row + (Vectors - 1) * lanes, last);
    CTNN_UNROLL for (std::size_t j = 0; j < N; ++j) {
      const floats b_value(b[kk * b_stride + j]);
      CTNN_UNROLL for (std::size_t v = 0; v < Vectors; ++v) acc[v][j] = simd::fma(x[v], b_value, acc[v][j]);
    }
  }
  alignas(64) float block_rows[lanes * lanes];
  CTNN_UNROLL for (std::size_t v = 0; v < Vectors; ++v) {
    store_rows(acc[v], N, block_rows, lanes);
    const std::size_t count = v + 1 < Vectors ? lanes : last;
    for (std::size_t i = 0; i < count; ++i) epilogue(row0 + v * lanes + i, 0, floats::load_aligned(block_rows + i * lanes));
  }
}

template <std::size_t N, Extent K, Extent LDA, Extent LDB, class Epilogue>
void narrow_rows(std::size_t m, K k, LDA lda, LDB ldb, const float* a, const float* b, Epilogue& epilogue) {
  constexpr std::size_t vectors = narrow_block_vectors(N), block = vectors * lanes;
  std::size_t row0 = 0;
  for (; row0 + block <= m; row0 += block) narrow_block<vectors, N>(row0, block, k, lda, ldb, a, b, epilogue);
  if (row0 == m) return;
  const std::size_t rest = m - row0, rest_vectors = (rest + lanes - 1) / lanes;
  with_fixed_remainder<vectors + 1>(rest_vectors, [&](auto v) {
    narrow_block<decltype(v)::value, N>(row0, rest, k, lda, ldb, a, b, epilogue);
  });
}

}  // namespace detail

// C = A B (m x n, n <= narrow_columns, rows of C lanes floats: padded(n)), A read transposed
// (a[kk * lda + i], i < m), B (k x n) with rows ldb floats apart; epilogue(i, 0, row i of C).
// The engine's run-time n is dispatched to a fixed one.
template <Extent N, Extent K, Extent LDA, Extent LDB, class Epilogue>
void narrow_product(std::size_t m, N n, K k, LDA lda, LDB ldb, const float* a, const float* b, Epilogue&& epilogue) {
  if constexpr (is_fixed<N>) {
    detail::narrow_rows<N::value>(m, k, lda, ldb, a, b, epilogue);
  } else {
    detail::with_fixed_remainder<narrow_columns + 1>(n, [&](auto fixed_n) {
      detail::narrow_rows<decltype(fixed_n)::value>(m, k, lda, ldb, a, b, epilogue);
    });
  }
}

}  // namespace ctnn::codegen
