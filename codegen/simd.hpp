// The SIMD vocabulary of the generated code (defined in simd.inc, which exported headers share).
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

#include "simd.inc"

inline const char* architecture_name() { return floats::arch_type::name(); }

}  // namespace ctnn::simd
