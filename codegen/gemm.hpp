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

template <std::size_t Rows, std::size_t Vectors, AOrder Order, std::size_t LDA, std::size_t LDB, class Count, class Epilogue>
[[gnu::always_inline]] inline void micro_tile(std::size_t row0, std::size_t col0, Count k, const float* a,
                                              const float* b, Epilogue& epilogue) {
  floats acc[Rows][Vectors];
  CTNN_UNROLL for (std::size_t r = 0; r < Rows; ++r)
    CTNN_UNROLL for (std::size_t j = 0; j < Vectors; ++j) acc[r][j] = floats(0.0f);

  const float* a_tile = Order == AOrder::rows ? a + row0 * LDA : a + row0;
  const float* b_tile = b + col0;
  for (std::size_t kk = 0; kk < std::size_t(k); ++kk) {
    floats b_row[Vectors];
    CTNN_UNROLL for (std::size_t j = 0; j < Vectors; ++j) b_row[j] = floats::load_aligned(b_tile + kk * LDB + j * lanes);
    CTNN_UNROLL for (std::size_t r = 0; r < Rows; ++r) {
      const floats a_value(Order == AOrder::rows ? a_tile[r * LDA + kk] : a_tile[kk * LDA + r]);
      CTNN_UNROLL for (std::size_t j = 0; j < Vectors; ++j) acc[r][j] = xsimd::fma(a_value, b_row[j], acc[r][j]);
    }
  }
  CTNN_UNROLL for (std::size_t r = 0; r < Rows; ++r)
    CTNN_UNROLL for (std::size_t j = 0; j < Vectors; ++j) epilogue(row0 + r, col0 + j * lanes, acc[r][j]);
}

// The last rows_left < tile_rows rows: one instantiation per possible count, picked at run time.
template <std::size_t Vectors, AOrder Order, std::size_t LDA, std::size_t LDB, class Count, class Epilogue,
          std::size_t... R>
inline void remainder_rows(std::size_t rows_left, std::size_t row0, std::size_t col0, Count k, const float* a,
                           const float* b, Epilogue& epilogue, std::index_sequence<R...>) {
  ((rows_left == R + 1 ? (micro_tile<R + 1, Vectors, Order, LDA, LDB>(row0, col0, k, a, b, epilogue), true) : false) ||
   ...);
}

}  // namespace detail

// C (m x N) = A (m x k) * B (k x N). A is read as a[row * LDA + kk] (AOrder::rows) or
// a[kk * LDA + row] (AOrder::transposed); B is b[kk * LDB + col], 64-byte aligned rows.
// Strides are compile-time constants, so that a tile's loads are constant offsets from one pointer.
// epilogue(row, col, acc) receives lanes consecutive results of row `row` from column `col`.
template <std::size_t N, AOrder Order, std::size_t LDA, std::size_t LDB, class Count, class Epilogue>
void gemm(std::size_t m, Count k, const float* a, const float* b, Epilogue&& epilogue) {
  static_assert(N % lanes == 0 && LDB % lanes == 0, "gemm: B's columns must be padded to whole vectors");
  constexpr std::size_t vectors = N / lanes;
  constexpr std::size_t full_column_tiles = vectors / tile_vectors;
  constexpr std::size_t last_tile_vectors = vectors % tile_vectors;
  const std::size_t full_row_tiles = m / tile_rows;
  const std::size_t rows_left = m % tile_rows;
  const std::size_t row_tiles = full_row_tiles + (rows_left != 0);

  // Row tile t against the columns [col0, col0 + Vectors * lanes).
  auto tile = [&]<std::size_t Vectors>(std::integral_constant<std::size_t, Vectors>, std::size_t t, std::size_t col0) {
    if (t < full_row_tiles)
      detail::micro_tile<tile_rows, Vectors, Order, LDA, LDB>(t * tile_rows, col0, k, a, b, epilogue);
    else
      detail::remainder_rows<Vectors, Order, LDA, LDB>(rows_left, full_row_tiles * tile_rows, col0, k, a, b, epilogue,
                                                       std::make_index_sequence<tile_rows - 1>{});
  };
  // Calls visit(width, col0) for every column strip; the narrower last strip is fixed at compile time.
  auto for_each_column_strip = [](auto&& visit) {
    if constexpr (full_column_tiles > 0)
      for (std::size_t c = 0; c < full_column_tiles; ++c)
        visit(std::integral_constant<std::size_t, tile_vectors>{}, c * tile_vectors * lanes);
    if constexpr (last_tile_vectors != 0)
      visit(std::integral_constant<std::size_t, last_tile_vectors>{}, full_column_tiles * tile_vectors * lanes);
  };

  // The loop order decides which operand is streamed again and again. When B fits in about half
  // of a 512 KiB L2 cache, row tiles go outermost: a tile's rows of A stay in L1 while all of B
  // passes. Otherwise column strips go outermost: each strip of B stays in cache while all of A passes.
  constexpr std::size_t l2_budget_bytes = 256 * 1024;
  if (std::size_t(k) * N * sizeof(float) <= l2_budget_bytes) {
    for (std::size_t t = 0; t < row_tiles; ++t)
      for_each_column_strip([&](auto width, std::size_t col0) { tile(width, t, col0); });
  } else {
    for_each_column_strip([&](auto width, std::size_t col0) {
      for (std::size_t t = 0; t < row_tiles; ++t) tile(width, t, col0);
    });
  }
}

}  // namespace ctnn::codegen
