// Row-wise softmax over the n real columns of padded rows; the padding comes out as zeros.
#pragma once

#include <cstddef>
#include <cstdint>

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

// Softmax of `lanes` rows of at most narrow_classes classes, row r in lane r: a row's classes
// are gathered into one vector each, so that exp and the divisions run on `lanes` rows at once
// instead of on one mostly padded vector per row. The sum of a row's exponentials is added in
// the order xsimd::hadd adds a padded row of up to 8 values on 8 or 16 lanes (the upper half, all
// zeros, onto the lower; then x_i + x_(i+4); then (s_0 + s_1) + (s_2 + s_3)), and every other
// step is softmax_row's, so each row's result is softmax_row's bit for bit. The rows' padding
// comes out as zeros.
inline constexpr std::size_t narrow_classes = 8;
inline constexpr bool has_narrow_softmax = simd::lanes == 8 || simd::lanes == 16;

using ints = xsimd::batch<std::int32_t, floats::arch_type>;

// Lane i holds i * step.
inline ints lane_multiples(std::size_t step) {
  alignas(64) static constexpr std::int32_t indices[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  static_assert(lanes <= 16);
  return ints::load_aligned(indices) * ints(std::int32_t(step));
}

// Lanes i < count of base[index_i], the others zero. (xsimd 8.1's gather inserts lane by lane.)
[[gnu::always_inline]] inline floats gather_first(const float* base, ints index, std::size_t count) {
#if defined(__AVX512F__)
  if constexpr (lanes == 16)
    return floats(_mm512_mask_i32gather_ps(_mm512_setzero_ps(), __mmask16((1u << count) - 1), index, base, 4));
#elif defined(__AVX2__)
  if constexpr (lanes == 8) {
    const __m256 mask = _mm256_cmp_ps(lane_indices(), _mm256_set1_ps(float(count)), _CMP_LT_OQ);
    return floats(_mm256_mask_i32gather_ps(_mm256_setzero_ps(), base, index, mask, 4));
  }
#endif
  alignas(64) float values[lanes] = {};
  for (std::size_t i = 0; i < count; ++i) values[i] = base[index.get(i)];
  return floats::load_aligned(values);
}

// Writes `lanes` rows, row_floats apart, whose first `count` (<= 8) values are lane r of
// columns[0..count) and the rest zeros: a transposition in registers, each row one whole store.
[[gnu::always_inline]] inline void store_rows(const floats* columns, std::size_t count, float* y, std::size_t row_floats) {
#if defined(__AVX512F__)
  if constexpr (lanes == 16) {
    // Lanes 2k and 2k + 1 of row r are lane r of columns 2k and 2k + 1: one two-source permute
    // per pair of columns, with the same index vector for every pair.
    alignas(64) static constexpr std::int32_t pair_pattern[16] = {0, 16, 0, 16, 0, 16, 0, 16, 0, 16, 0, 16, 0, 16, 0, 16};
    const __m512i pattern = _mm512_load_si512(pair_pattern);
    CTNN_UNROLL for (std::size_t r = 0; r < 16; ++r) {
      const __m512i index = _mm512_add_epi32(pattern, _mm512_set1_epi32(std::int32_t(r)));
      __m512 row = _mm512_setzero_ps();
      CTNN_UNROLL for (std::size_t c = 0; c < count; c += 2) {
        const __m512 second = c + 1 < count ? __m512(columns[c + 1]) : _mm512_setzero_ps();
        row = _mm512_mask_mov_ps(row, __mmask16(3u << c), _mm512_permutex2var_ps(columns[c], index, second));
      }
      _mm512_store_ps(y + r * row_floats, row);
      for (std::size_t v = 16; v < row_floats; v += 16) _mm512_store_ps(y + r * row_floats + v, _mm512_setzero_ps());
    }
    return;
  }
#elif defined(__AVX2__)
  if constexpr (lanes == 8) {  // the 8 x 8 transposition of unpacks, shuffles and lane swaps
    __m256 c[8];
    CTNN_UNROLL for (std::size_t i = 0; i < 8; ++i) c[i] = i < count ? __m256(columns[i]) : _mm256_setzero_ps();
    __m256 t[8], u[8];
    CTNN_UNROLL for (std::size_t i = 0; i < 8; i += 2)
      t[i] = _mm256_unpacklo_ps(c[i], c[i + 1]), t[i + 1] = _mm256_unpackhi_ps(c[i], c[i + 1]);
    CTNN_UNROLL for (std::size_t i = 0; i < 8; i += 4) {
      u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44), u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
      u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44), u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    CTNN_UNROLL for (std::size_t r = 0; r < 4; ++r) {
      _mm256_store_ps(y + r * row_floats, _mm256_permute2f128_ps(u[r], u[r + 4], 0x20));
      _mm256_store_ps(y + (r + 4) * row_floats, _mm256_permute2f128_ps(u[r], u[r + 4], 0x31));
    }
    for (std::size_t r = 0; r < 8; ++r)
      for (std::size_t v = 8; v < row_floats; v += 8) _mm256_store_ps(y + r * row_floats + v, _mm256_setzero_ps());
    return;
  }
#endif
  for (std::size_t r = 0; r < lanes; ++r)
    for (std::size_t i = 0; i < row_floats; ++i) y[r * row_floats + i] = i < count ? columns[i].get(r) : 0.0f;
}

template <Extent N, Extent Stride>
[[gnu::always_inline]] inline void softmax_narrow_block(N n, Stride stride, float* y) {
  const std::size_t row_floats = stride, classes = n;
  const ints row_starts = lane_multiples(row_floats);
  floats e[narrow_classes];
  CTNN_UNROLL for (std::size_t c = 0; c < classes; ++c) e[c] = gather_first(y + c, row_starts, lanes);
  floats largest = e[0];
  CTNN_UNROLL for (std::size_t c = 1; c < classes; ++c) largest = xsimd::select(largest < e[c], e[c], largest);
  CTNN_UNROLL for (std::size_t c = 0; c < classes; ++c) e[c] = xsimd::exp(e[c] - largest);
  floats quarter[4];  // x_i + x_(i+4), for the i < n that have one
  CTNN_UNROLL for (std::size_t i = 0; i < 4; ++i)
    quarter[i] = i >= classes ? floats(0.0f) : i + 4 < classes ? e[i] + e[i + 4] : e[i];
  const floats low = classes > 1 ? quarter[0] + quarter[1] : quarter[0];
  const floats total = classes > 2 ? low + (classes > 3 ? quarter[2] + quarter[3] : quarter[2]) : low;
  const floats scale = floats(1.0f) / total;
  CTNN_UNROLL for (std::size_t c = 0; c < classes; ++c) e[c] *= scale;
  store_rows(e, classes, y, row_floats);
}

}  // namespace detail

// Rows of at most narrow_classes classes `lanes` at a time (softmax_narrow_block) where the target
// has 8 or 16 lanes, other rows eight at a time (softmax_block); the rest one by one.
template <Extent N, Extent Stride>
void softmax_rows(N n, Stride stride, float* y, std::size_t rows) {
  constexpr std::size_t block = 8;
  const std::size_t row_floats = stride;
  std::size_t r = 0;
  if (detail::has_narrow_softmax && std::size_t(n) <= detail::narrow_classes)
    for (; r + lanes <= rows; r += lanes) detail::softmax_narrow_block(n, stride, y + r * row_floats);
  for (; r + block <= rows; r += block) detail::softmax_block<block>(n, stride, y + r * row_floats);
  for (; r < rows; ++r) softmax_row(n, stride, y + r * row_floats);
}

}  // namespace ctnn::codegen
