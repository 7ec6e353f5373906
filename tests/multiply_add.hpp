// The multiply-add the kernels run, as a scalar reference: fused (one rounding) on targets with
// FMA instructions, as every AVX2 and AVX-512 machine has; a product then a sum (two roundings) on a
// target without them (plain x86-64, SSE2), where xsimd's fma is those two instructions.
#pragma once

#include <cmath>

namespace testing {

inline float target_multiply_add(float a, float b, float c) {
#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
  return std::fma(a, b, c);
#else
  return a * b + c;
#endif
}

}  // namespace testing
