// Register-blocked matrix product C = A * B for the three products of training:
//   forward          Y  = X   * W     (A = activations, B = kernel)
//   kernel gradient  dW = X^T * dZ    (A = activations read transposed, B = deltas)
//   input gradient   dX = dZ  * W^T   (A = deltas, B = kernel packed transposed)
// B and C have rows padded to whole SIMD vectors. Sizes and strides are extents: fixed at compile
// time for the generated code (the tiling over columns, its remainder and every load offset are
// then constants), or run-time values for the generic engine, which runs the very same tiles.
// The product never stores C itself: each finished accumulator goes to an epilogue, which fuses
// what follows (bias and activation, activation derivative, regulariser gradient).
#pragma once

#include <algorithm>
#include <bit>
#include <concepts>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "extent.hpp"
#include "simd.hpp"

namespace ctnn::codegen {

using simd::floats;
using simd::lanes;

// Register tile: tile_rows x tile_vectors accumulators, plus the B vectors and one broadcast A.
inline constexpr std::size_t tile_vectors = simd::vector_registers >= 32 ? 3 : 2;
inline constexpr std::size_t tile_rows = simd::vector_registers >= 32 ? 8 : 6;
static_assert(tile_rows * tile_vectors + tile_vectors + 1 <= simd::vector_registers);

enum class AOrder { rows, transposed };

// Below this many multiply-adds a thread's share of a product costs less than handing it over.
inline constexpr std::size_t parallel_grain_multiply_adds = 64 * 1024;

// The rows of a product with `multiply_adds_per_row` per row that make a thread's share worth it.
constexpr std::size_t rows_worth_a_thread(std::size_t multiply_adds_per_row) {
  return std::max<std::size_t>(1, parallel_grain_multiply_adds / std::max<std::size_t>(1, multiply_adds_per_row));
}

// Whether a layer's products are split over the kernel's columns rather than over rows: when the
// kernel is large, each thread then reads, and the fused update writes, only its own columns of
// it, which stay in that core's cache from one step to the next.
constexpr bool split_by_kernel_columns(std::size_t inputs, std::size_t row_floats) {
  return inputs * row_floats * sizeof(float) > 256 * 1024 && row_floats >= 8 * lanes;
}

// then_branch() or else_branch(): chosen at compile time (only one is instantiated) when `condition`
// is a std::bool_constant, at run time when it is a bool.
template <class Condition, class Then, class Else>
inline decltype(auto) choose(Condition condition, Then&& then_branch, Else&& else_branch) {
  if constexpr (std::is_same_v<Condition, std::true_type>) return then_branch();
  else if constexpr (std::is_same_v<Condition, std::false_type>) return else_branch();
  else if (condition) return then_branch();
  else return else_branch();
}

// split_by_kernel_columns of extents: a std::bool_constant when both are fixed.
template <Extent In, Extent RowFloats>
constexpr auto splits_by_kernel_columns(In inputs, RowFloats row_floats) {
  if constexpr (is_fixed<In> && is_fixed<RowFloats>)
    return std::bool_constant<split_by_kernel_columns(In::value, RowFloats::value)>{};
  else
    return split_by_kernel_columns(inputs, row_floats);
}

namespace detail {

template <std::size_t Rows, std::size_t Vectors, AOrder Order, Extent K, Extent LDA, Extent LDB, class Epilogue>
[[gnu::always_inline]] inline void micro_tile(std::size_t row0, std::size_t col0, K k, LDA lda, LDB ldb,
                                              const float* a, const float* b, Epilogue& epilogue) {
  floats acc[Rows][Vectors];
  CTNN_UNROLL for (std::size_t r = 0; r < Rows; ++r)
    CTNN_UNROLL for (std::size_t j = 0; j < Vectors; ++j) {
      if constexpr (requires { epilogue.initial(row0, col0); })  // a sum continued from an earlier block of k
        acc[r][j] = epilogue.initial(row0 + r, col0 + j * lanes);
      else
        acc[r][j] = floats(0.0f);
    }

  const std::size_t a_stride = lda, b_stride = ldb;
  const float* a_tile = Order == AOrder::rows ? a + row0 * a_stride : a + row0;
  const float* b_tile = b + col0;
  for (std::size_t kk = 0; kk < std::size_t(k); ++kk) {
    floats b_row[Vectors];
    CTNN_UNROLL for (std::size_t j = 0; j < Vectors; ++j)
      b_row[j] = floats::load_aligned(b_tile + kk * b_stride + j * lanes);
    CTNN_UNROLL for (std::size_t r = 0; r < Rows; ++r) {
      const floats a_value(Order == AOrder::rows ? a_tile[r * a_stride + kk] : a_tile[kk * a_stride + r]);
      CTNN_UNROLL for (std::size_t j = 0; j < Vectors; ++j) acc[r][j] = simd::fma(a_value, b_row[j], acc[r][j]);
    }
  }
  CTNN_UNROLL for (std::size_t r = 0; r < Rows; ++r)
    CTNN_UNROLL for (std::size_t j = 0; j < Vectors; ++j) epilogue(row0 + r, col0 + j * lanes, acc[r][j]);
}

// Calls f(fixed<V>{}) for the V in 1..Max-1 equal to `value` (a remainder known only at run time).
template <std::size_t Max, class F>
inline void with_fixed_remainder(std::size_t value, F&& f) {
  [&]<std::size_t... V>(std::index_sequence<V...>) {
    ((value == V + 1 ? (f(fixed<V + 1>{}), true) : false) || ...);
  }(std::make_index_sequence<Max - 1>{});
}

// Covers `count` rows (count < Max) with blocks of fixed heights, the binary digits of count from the
// largest: f(fixed<Height>{}, first_row) for each. Every remainder of a row tile is served by
// log2(Max) block heights instead of Max - 1 tile shapes, which is what keeps the product's code
// (and the compiler's work) small; rows are computed independently, so the results are the same.
template <std::size_t Max, class F>
inline void for_each_binary_block(std::size_t count, F&& f) {
  constexpr std::size_t largest = std::bit_floor(Max - 1);
  [&]<std::size_t... Bit>(std::index_sequence<Bit...>) {
    std::size_t first = 0;
    ((count & (largest >> Bit) ? (f(fixed<(largest >> Bit)>{}, first), first += largest >> Bit) : 0), ...);
  }(std::make_index_sequence<std::bit_width(largest)>{});
}

}  // namespace detail

// A product keeps the partial sums of a block of k where its epilogue says (the product's own
// destination: partial(row, col) points at lanes floats there), so that it can run k in blocks.
template <class E>
concept HoldsPartialSums = requires(const E& e, std::size_t i) {
  { e.partial(i, i) } -> std::same_as<float*>;
};

// B bigger than this goes column strip by column strip (see gemm).
inline constexpr std::size_t l2_budget_bytes = 256 * 1024;

// Packed strips of B: a strip of B's columns copied, one block of k at a time, into a contiguous
// buffer on the stack, which the row tiles then read with unit stride. Straight from a large B whose
// rows are kilobytes apart, every k of a tile touches another page, past the TLB's reach and past
// what the prefetcher follows; rows a multiple of 2 KiB apart also fall into one or two of the 64
// sets of a 48 KiB, 12-way L1 cache, so a strip cannot stay there. Whether that costs depends on how
// much work a tile does per row of B. AVX2's 6 x 2 tile (12 multiply-adds) waits on any large stride:
// measured with bench_products, 1 thread, AMD EPYC (Zen 5), GFLOP/s unpacked -> packed: 784 x 1024
// forward 71 -> 103, 1024 x 512 forward 91 -> 104, its input gradient 81 -> 107, 512 x 256 forward
// 110 -> 107. AVX-512's 8 x 3 tile (24) hides a stride that spreads over the sets (Zen 5: 784 x 400
// forward 221 unpacked, 208 packed; 784 x 1024 input gradient, rows of 784 floats, 219 -> 208) but not
// one that aliases (Intel Xeon, AVX-512: 784 x 1024 forward, rows of 1024 floats, 80 -> 145, 1024 x 512
// forward 96 -> 150, its input gradient 92 -> 150; 512 x 256, rows of 1 KiB, 173 unpacked, 164
// packed). Its strips are half as large: 24 KiB strips gave 150, 32 KiB 148, 48 KiB 140 there. The
// buffer is small enough for any thread's stack.
inline constexpr bool tile_hides_strided_b = tile_rows * tile_vectors >= 24;
inline constexpr std::size_t packed_strip_bytes = (tile_hides_strided_b ? 24 : 48) * 1024;
inline constexpr std::size_t k_block = packed_strip_bytes / (tile_vectors * lanes * sizeof(float));

// Whether B's rows, ldb floats apart, are too far apart for the register tile to read straight
// from B: 2 KiB or more for AVX2's tile, a multiple of 2 KiB (aliasing in L1) for AVX-512's.
constexpr bool b_stride_costs(std::size_t ldb) {
  const std::size_t bytes = ldb * sizeof(float);
  return tile_hides_strided_b ? bytes % 2048 == 0 : bytes >= 2048;
}

// Whether a product of depth k over B with rows ldb floats apart reads B from packed strips: B too
// large for the cache, its stride one that costs (b_stride_costs), and k within one block unless the
// epilogue can hold partial sums between blocks (HoldsPartialSums).
constexpr bool packs_b(std::size_t k, std::size_t ldb, bool holds_partial_sums) {
  return k * ldb * sizeof(float) > l2_budget_bytes && b_stride_costs(ldb) && (holds_partial_sums || k <= k_block);
}
// packs_b for a product whose depth may be known only at run time (depth_fixed false): then only an
// epilogue that holds partial sums packs, so that a product of run-time depth compiles one way only.
constexpr bool packs_b_at(std::size_t k, std::size_t ldb, bool holds_partial_sums, bool depth_fixed) {
  return (depth_fixed || holds_partial_sums) && packs_b(k, ldb, holds_partial_sums);
}

// Packed panels of A for a product that reads A transposed (a kernel gradient's X^T: each step of k
// is another sample of the batch, a row of X kilobytes from the last). Straight from X, a tile's
// tile_rows floats of each step sit on another page, and every column strip reads them again;
// copied once into panels of tile_rows x k floats, a group of row tiles then runs every strip of B
// from L1. AVX2's tile waits on those reads: bench_products, x86-64-v3 build, 1 thread, Intel Xeon,
// GFLOP/s in place -> packed: 784 x 1024 64 -> 81, 1024 x 512 54 -> 81, 512 x 256 65 -> 81, 784 x 400
// 75 -> 81 (the forward products run at 80-87 there). AVX-512's tile mostly hides them: packed,
// 784 x 400 fell from 151 to 146 and 512 x 256 from 152 to 138, while the 4 KiB-aliasing 784 x 1024
// rose from 131 to 152; it reads A in place.
inline constexpr std::size_t packed_a_bytes = 24 * 1024;
constexpr bool a_stride_costs(std::size_t lda) { return !tile_hides_strided_b && lda * sizeof(float) >= 2048; }
constexpr bool packs_a(std::size_t k, std::size_t lda) {
  return a_stride_costs(lda) && k * tile_rows * sizeof(float) <= packed_a_bytes;
}
// The row tiles whose panels of depth k are packed together.
constexpr std::size_t packed_a_group(std::size_t k) {
  return std::max<std::size_t>(1, packed_a_bytes / (std::max<std::size_t>(k, 1) * tile_rows * sizeof(float)));
}

// Whether B (k x n floats) fits in about half of a 512 KiB L2 cache: then row tiles go outermost,
// a tile's rows of A staying in L1 while all of B passes; else column strips go outermost.
constexpr bool b_fits_cache(std::size_t k, std::size_t n) { return k * n * sizeof(float) <= l2_budget_bytes; }

namespace detail {

// Copies columns [col0, col0 + Vectors * lanes) of rows [k0, k0 + count) of B into `packed`.
template <std::size_t Vectors, Extent LDB>
[[gnu::always_inline]] inline void pack_strip(const float* b, LDB ldb, std::size_t k0, std::size_t count, std::size_t col0,
                                              float* packed) {
  const std::size_t b_stride = ldb;
  for (std::size_t kk = 0; kk < count; ++kk)
    CTNN_UNROLL for (std::size_t j = 0; j < Vectors; ++j)
      floats::load_aligned(b + (k0 + kk) * b_stride + col0 + j * lanes).store_aligned(packed + (kk * Vectors + j) * lanes);
}

// The epilogue of one block of k of a packed strip starting at column col0: each sum resumes from
// where the previous block left it (or from the product's own start) and goes back there, or, after
// the last block, on to the product's epilogue.
template <class Epilogue>
struct KBlockEpilogue {
  Epilogue& inner;
  std::size_t col0;
  bool resume, finish;

  floats initial(std::size_t row, std::size_t col) const {
    if constexpr (HoldsPartialSums<Epilogue>)
      if (resume) return floats::load_aligned(inner.partial(row, col0 + col));
    if constexpr (requires { inner.initial(row, col); }) return inner.initial(row, col0 + col);
    else return floats(0.0f);
  }
  void operator()(std::size_t row, std::size_t col, floats acc) const {
    if constexpr (HoldsPartialSums<Epilogue>)
      if (!finish) return acc.store_aligned(inner.partial(row, col0 + col));
    inner(row, col0 + col, acc);
  }
};

// The epilogue of a row tile computed from a packed panel of A, whose rows start at 0: its rows
// are the product's from row0.
template <class Epilogue>
struct RowOffsetEpilogue {
  Epilogue& inner;
  std::size_t row0;

  floats initial(std::size_t row, std::size_t col) const
    requires requires { inner.initial(row, col); }
  {
    return inner.initial(row0 + row, col);
  }
  void operator()(std::size_t row, std::size_t col, floats acc) const { inner(row0 + row, col, acc); }
};

}  // namespace detail

// C (m x n) = A (m x k) * B (k x n). A is read as a[row * lda + kk] (AOrder::rows) or
// a[kk * lda + row] (AOrder::transposed); B is b[kk * ldb + col], 64-byte aligned rows.
// epilogue(row, col, acc) receives lanes consecutive results of row `row` from column `col`; an
// epilogue with a member initial(row, col) gives the sums' starting values (zero otherwise), and
// one with partial(row, col) lets the product run k in blocks (HoldsPartialSums).
// Every sum runs over k in order, packed or not, in blocks or not: the results are the same bit
// for bit whichever way a product goes.
// Flattened: every tile, lambda and epilogue is inlined into it. Left to its own heuristics, GCC
// stops inlining the epilogues in translation units with many networks, and a function call per
// accumulator halves the speed (seen on the input gradient: 39 instead of 86 GFLOP/s).
template <AOrder Order, Extent N, Extent K, Extent LDA, Extent LDB, class Epilogue>
[[gnu::flatten]] void gemm(std::size_t m, N n, K k, LDA lda, LDB ldb, const float* a, const float* b, Epilogue&& epilogue) {
  using E = std::remove_reference_t<Epilogue>;
  if constexpr (is_fixed<N> && is_fixed<LDB>)
    static_assert(N::value % lanes == 0 && LDB::value % lanes == 0, "gemm: B's columns must be padded to whole vectors");
  const std::size_t vectors = std::size_t(n) / lanes;
  const std::size_t full_column_tiles = vectors / tile_vectors;
  const std::size_t full_row_tiles = m / tile_rows;
  const std::size_t rows_left = m % tile_rows;
  const std::size_t row_tiles = full_row_tiles + (rows_left != 0);

  // Row tile t against the columns [col0, col0 + Vectors * lanes) of `from` (B, or a packed strip
  // with its own k, A, ldb and epilogue); the last, partial row tile in blocks of binary heights.
  auto tile = [&]<std::size_t Vectors, Extent Depth, Extent Ldb, class Tail>(fixed<Vectors>, std::size_t t, std::size_t col0,
                                                                             Depth depth, const float* a_from, Ldb ldb_from,
                                                                             const float* from, Tail& tail) {
    if (t < full_row_tiles) {
      detail::micro_tile<tile_rows, Vectors, Order>(t * tile_rows, col0, depth, lda, ldb_from, a_from, from, tail);
      return;
    }
    detail::for_each_binary_block<tile_rows>(rows_left, [&]<std::size_t Rows>(fixed<Rows>, std::size_t first) {
      detail::micro_tile<Rows, Vectors, Order>(full_row_tiles * tile_rows + first, col0, depth, lda, ldb_from, a_from, from,
                                               tail);
    });
  };
  // f(fixed<Vectors>{}, col0) for column strip s: full width, or the narrower last one (a fixed
  // width, chosen at compile time when n is fixed).
  const std::size_t strips = full_column_tiles + (vectors % tile_vectors != 0);
  auto with_strip = [&](std::size_t s, auto&& f) {
    const std::size_t col0 = s * tile_vectors * lanes;
    if (s < full_column_tiles) {
      f(fixed<tile_vectors>{}, col0);
    } else if constexpr (is_fixed<N>) {
      constexpr std::size_t last_tile_vectors = N::value / lanes % tile_vectors;
      if constexpr (last_tile_vectors != 0) f(fixed<last_tile_vectors>{}, col0);
    } else {
      detail::with_fixed_remainder<tile_vectors>(vectors % tile_vectors, [&](auto width) { f(width, col0); });
    }
  };

  // Row tiles outermost when B fits in cache (b_fits_cache); otherwise column strips, each strip of B
  // staying in cache while all of A passes, read straight from B or packed (packs_b).
  const auto b_in_cache = [&] {
    if constexpr (is_fixed<K> && is_fixed<N>) return std::bool_constant<b_fits_cache(K::value, N::value)>{};
    else return b_fits_cache(k, n);
  }();
  // Packing is chosen from B's depth and row stride, which the generated code has at compile time
  // (not from the width of a thread's share), so each of its products compiles one way only.
  const auto use_packed = [&] {
    constexpr bool holds = HoldsPartialSums<E>;
    if constexpr (is_fixed<K> && is_fixed<LDB>) return std::bool_constant<packs_b(K::value, LDB::value, holds)>{};
    else if constexpr (holds) return packs_b_at(k, ldb, holds, is_fixed<K>);
    else return std::false_type{};  // packs_b_at's run-time depth without partial sums: a kernel gradient over a batch
  }();
  const auto unpacked = [&] {
    for (std::size_t t = 0, s = 0, visited = 0; visited < row_tiles * strips; ++visited) {
      with_strip(s, [&](auto width, std::size_t col0) { tile(width, t, col0, k, a, ldb, b, epilogue); });
      if (b_in_cache) {
        if (++s == strips) s = 0, ++t;
      } else {
        if (++t == row_tiles) t = 0, ++s;
      }
    }
  };
  // A template, so that nothing of it is instantiated where packing is never chosen.
  const auto packed = [&]<class Unused = void>() {
    alignas(64) float strip_buffer[k_block * tile_vectors * lanes];
    const std::size_t depth = k;
    for (std::size_t s = 0; s < strips; ++s)
      with_strip(s, [&]<std::size_t Vectors>(fixed<Vectors> width, std::size_t col0) {
        for (std::size_t k0 = 0; k0 < depth; k0 += k_block) {
          const std::size_t count = std::min(k_block, depth - k0);
          detail::pack_strip<Vectors>(b, ldb, k0, count, col0, strip_buffer);
          detail::KBlockEpilogue<E> block{epilogue, col0, k0 != 0, k0 + count == depth};
          const float* a_block = Order == AOrder::rows ? a + k0 : a + k0 * std::size_t(lda);
          for (std::size_t t = 0; t < row_tiles; ++t)
            tile(width, t, 0, count, a_block, fixed<Vectors * lanes>{}, strip_buffer, block);
        }
      });
  };
  const auto use_packed_a = [&] {
    if constexpr (Order == AOrder::transposed && !tile_hides_strided_b) {
      if constexpr (is_fixed<K> && is_fixed<LDA>) {
        return std::bool_constant<packs_a(K::value, LDA::value)>{};
      } else if constexpr (is_fixed<LDA>) {
        if constexpr (!a_stride_costs(LDA::value)) {
          return std::false_type{};  // compiled one way only
        } else if constexpr (is_bounded<K>) {
          if constexpr (packs_a(K::max, LDA::value)) return std::true_type{};  // and so every smaller depth
          else return packs_a(k, lda);
        } else {
          return packs_a(k, lda);
        }
      } else {
        return packs_a(k, lda);
      }
    } else {
      return std::false_type{};
    }
  }();
  // Groups of row tiles whose panels of A fill packed_a_bytes, each group against every strip of B.
  const auto packed_a = [&]<class Unused = void>() {
    alignas(64) float panels[packed_a_bytes / sizeof(float)];
    const std::size_t depth = k, a_stride = lda, panel_floats = depth * tile_rows, group = packed_a_group(depth);
    for (std::size_t t0 = 0; t0 < row_tiles; t0 += group) {
      const std::size_t t1 = std::min(row_tiles, t0 + group);
      for (std::size_t t = t0; t < t1; ++t) {
        const std::size_t row0 = t * tile_rows, rows_here = std::min(tile_rows, m - row0);
        float* panel = panels + (t - t0) * panel_floats;
        for (std::size_t kk = 0; kk < depth; ++kk)
          for (std::size_t r = 0; r < rows_here; ++r) panel[kk * tile_rows + r] = a[kk * a_stride + row0 + r];
      }
      for (std::size_t s = 0; s < strips; ++s)
        with_strip(s, [&]<std::size_t Vectors>(fixed<Vectors>, std::size_t col0) {
          for (std::size_t t = t0; t < t1; ++t) {
            const float* panel = panels + (t - t0) * panel_floats;
            detail::RowOffsetEpilogue<E> shifted{epilogue, t * tile_rows};
            if (t < full_row_tiles) {
              detail::micro_tile<tile_rows, Vectors, AOrder::transposed>(0, col0, depth, fixed<tile_rows>{}, ldb, panel, b,
                                                                          shifted);
              continue;
            }
            detail::for_each_binary_block<tile_rows>(rows_left, [&]<std::size_t Rows>(fixed<Rows>, std::size_t first) {
              detail::micro_tile<Rows, Vectors, AOrder::transposed>(first, col0, depth, fixed<tile_rows>{}, ldb, panel, b,
                                                                     shifted);
            });
          }
        });
    }
  };
  choose(use_packed, packed, [&] { choose(use_packed_a, packed_a, unpacked); });
}

}  // namespace ctnn::codegen
