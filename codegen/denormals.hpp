// Flush-to-zero and denormals-are-zero for the scope of a training run. Optimiser state decays
// into denormals within a few epochs, and arithmetic on them is many times slower.
#pragma once

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace ctnn {

class FlushDenormals {
 public:
#if defined(__SSE__)
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040u); }  // FTZ | DAZ
  ~FlushDenormals() { _mm_setcsr(saved_); }

 private:
  unsigned saved_;
#else
  FlushDenormals() = default;
#endif
 public:
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;
};

}  // namespace ctnn
