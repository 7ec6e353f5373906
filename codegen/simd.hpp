// The SIMD vocabulary of the generated code: one xsimd batch type for the architecture the
// compiler targets (AVX-512: 16 lanes, AVX2: 8, SSE/NEON: 4), and the padding rule it implies.
#pragma once

#include <cstddef>

// GCC 12 reports false (maybe-)uninitialized uses in AVX-512 intrinsics (their "undefined" pass-through
// operands) wherever xsimd's exp, tanh or max are inlined into a caller. The warning is located in
// the intrinsics' header, so silencing it around the include silences exactly those.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#include <xsimd/xsimd.hpp>
#pragma GCC diagnostic pop

namespace ctnn::simd {

using floats = xsimd::batch<float>;
inline constexpr std::size_t lanes = floats::size;

// Rows of activations and kernels are padded to whole SIMD vectors, so that no loop over
// units needs a scalar remainder; the padding holds zeros that no result depends on.
constexpr std::size_t padded(std::size_t n) { return (n + lanes - 1) / lanes * lanes; }

// Registers of the target decide the register tile of the matrix kernels.
inline constexpr std::size_t vector_registers = lanes >= 16 ? 32 : 16;

inline const char* architecture_name() { return floats::arch_type::name(); }

// Lane i holds float(i); compared against a count it masks the tail of a row.
inline floats lane_indices() {
  alignas(64) static constexpr float indices[64] = {
      0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
      22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43,
      44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63};
  static_assert(lanes <= 64);
  return floats::load_aligned(indices);
}

}  // namespace ctnn::simd
