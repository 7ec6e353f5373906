// Register-blocked matrix product C = A * B for the three products of training:
//   forward          Y  = X   * W     (A = activations, B = kernel)
//   kernel gradient  dW = X^T * dZ    (A = activations read transposed, B = deltas)
//   input gradient   dX = dZ  * W^T   (A = deltas, B = kernel packed transposed)
// B and C have rows padded to whole SIMD vectors; their column count N is a compile-time
// constant, so the tiling over columns, and its remainder, is fixed when the code is generated.
// The product never stores C itself: each finished accumulator goes to an epilogue, which fuses
// what follows (bias and activation, activation derivative, regulariser gradient).
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

#include "simd.hpp"

#define CTNN_UNROLL _Pragma("GCC unroll 16")

namespace ctnn::codegen {

using simd::floats;
using simd::lanes;

// Register tile: tile_rows x tile_vectors accumulators, plus the B vectors and one broadcast A.
inline constexpr std::size_t tile_vectors = simd::vector_registers >= 32 ? 3 : 2;
inline constexpr std::size_t tile_rows = simd::vector_registers >= 32 ? 8 : 6;
static_assert(tile_rows * tile_vectors + tile_vectors + 1 <= simd::vector_registers);

// A reduction length known at compile time (a layer width) or only at run time (a batch's rows).
template <std::size_t K>
using fixed_count = std::integral_constant<std::size_t, K>;

enum class AOrder { rows, transposed };

namespace detail {

template <std::size_t Rows, std::size_t Vectors, AOrder Order, class Count, class Epilogue>
[[gnu::always_inline]] inline void micro_tile(std::size_t row0, std::size_t col0, Count k, const float* a,
                                              std::size_t lda, const float* b, std::size_t ldb, Epilogue& epilogue) {
  floats acc[Rows][Vectors];
  CTNN_UNROLL for (std::size_t r = 0; r < Rows; ++r)
    CTNN_UNROLL for (std::size_t j = 0; j < Vectors; ++j) acc[r][j] = floats(0.0f);

  const float* a_tile = Order == AOrder::rows ? a + row0 * lda : a + row0;
  const float* b_tile = b + col0;
  for (std::size_t kk = 0; kk < std::size_t(k); ++kk) {
    floats b_row[Vectors];
    CTNN_UNROLL for (std::size_t j = 0; j < Vectors; ++j) b_row[j] = floats::load_aligned(b_tile + kk * ldb + j * lanes);
    CTNN_UNROLL for (std::size_t r = 0; r < Rows; ++r) {
      const floats a_value(Order == AOrder::rows ? a_tile[r * lda + kk] : a_tile[kk * lda + r]);
      CTNN_UNROLL for (std::size_t j = 0; j < Vectors; ++j) acc[r][j] = xsimd::fma(a_value, b_row[j], acc[r][j]);
    }
  }
  CTNN_UNROLL for (std::size_t r = 0; r < Rows; ++r)
    CTNN_UNROLL for (std::size_t j = 0; j < Vectors; ++j) epilogue(row0 + r, col0 + j * lanes, acc[r][j]);
}

// The last rows_left < tile_rows rows: one instantiation per possible count, picked at run time.
template <std::size_t Vectors, AOrder Order, class Count, class Epilogue, std::size_t... R>
inline void remainder_rows(std::size_t rows_left, std::size_t row0, std::size_t col0, Count k, const float* a,
                           std::size_t lda, const float* b, std::size_t ldb, Epilogue& epilogue,
                           std::index_sequence<R...>) {
  ((rows_left == R + 1 ? (micro_tile<R + 1, Vectors, Order>(row0, col0, k, a, lda, b, ldb, epilogue), true) : false) ||
   ...);
}

}  // namespace detail

// C (m x N) = A (m x k) * B (k x N). A is read as a[row * lda + kk] (AOrder::rows) or
// a[kk * lda + row] (AOrder::transposed); B is b[kk * LDB + col], 64-byte aligned rows.
// epilogue(row, col, acc) receives lanes consecutive results of row `row` from column `col`.
template <std::size_t N, std::size_t LDB, AOrder Order, class Count, class Epilogue>
void gemm(std::size_t m, Count k, const float* a, std::size_t lda, const float* b, Epilogue&& epilogue) {
  static_assert(N % lanes == 0 && LDB % lanes == 0, "gemm: B's columns must be padded to whole vectors");
  constexpr std::size_t vectors = N / lanes;
  constexpr std::size_t full_column_tiles = vectors / tile_vectors;
  constexpr std::size_t last_tile_vectors = vectors % tile_vectors;
  const std::size_t full_row_tiles = m / tile_rows;
  const std::size_t rows_left = m % tile_rows;

  // Column strips outermost: a strip of B stays in cache while every row tile passes over it.
  auto column_strip = [&]<std::size_t Vectors>(std::integral_constant<std::size_t, Vectors>, std::size_t col0) {
    for (std::size_t t = 0; t < full_row_tiles; ++t)
      detail::micro_tile<tile_rows, Vectors, Order>(t * tile_rows, col0, k, a, lda, b, LDB, epilogue);
    if (rows_left != 0)
      detail::remainder_rows<Vectors, Order>(rows_left, full_row_tiles * tile_rows, col0, k, a, lda, b, LDB, epilogue,
                                             std::make_index_sequence<tile_rows - 1>{});
  };
  for (std::size_t t = 0; t < full_column_tiles; ++t)
    column_strip(std::integral_constant<std::size_t, tile_vectors>{}, t * tile_vectors * lanes);
  if constexpr (last_tile_vectors != 0)
    column_strip(std::integral_constant<std::size_t, last_tile_vectors>{}, full_column_tiles * tile_vectors * lanes);
}

}  // namespace ctnn::codegen
