// Between rows in memory and rows in lanes: kernels for layers of a few units (at most
// narrow_columns) hold each column of a block of rows in one vector, a row per lane, instead of
// giving every row a mostly padded vector of its own. These move values between the two layouts
// with hardware gathers, masked loads and transpositions in registers (AVX2, AVX-512).
#pragma once

#include <cstddef>
#include <cstdint>

#include "simd.hpp"

namespace ctnn::codegen {

using simd::floats;
using simd::lanes;
using simd::lane_indices;

// The most columns a rows-in-lanes kernel holds, and the targets that have such kernels.
inline constexpr std::size_t narrow_columns = 8;
inline constexpr bool has_rows_in_lanes = lanes == 8 || lanes == 16;

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

// Writes `lanes` rows, row_floats apart, whose first `count` (<= narrow_columns) values are lane r
// of columns[0..count) and the rest zeros: a transposition in registers, each row one whole store
// (element stores followed by a vector load of the row stall store forwarding).
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

// The first `count` floats at p (unaligned), the other lanes zero; nothing past them is read.
[[gnu::always_inline]] inline floats load_first(const float* p, std::size_t count) {
#if defined(__AVX512F__)
  if constexpr (lanes == 16) return floats(_mm512_maskz_loadu_ps(__mmask16((1u << count) - 1), p));
#elif defined(__AVX2__)
  if constexpr (lanes == 8) {
    const __m256i mask = _mm256_castps_si256(_mm256_cmp_ps(lane_indices(), _mm256_set1_ps(float(count)), _CMP_LT_OQ));
    return floats(_mm256_maskload_ps(p, mask));
  }
#endif
  alignas(64) float values[lanes] = {};
  for (std::size_t i = 0; i < count; ++i) values[i] = p[i];
  return floats::load_aligned(values);
}

}  // namespace ctnn::codegen
