// Flush-to-zero and denormals-are-zero for the scope of a training run. Optimiser state decays
// into denormals within a few epochs, and arithmetic on them is many times slower.
#pragma once

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace ctnn {

// The calling thread's floating-point control state (rounding, flush-to-zero): what the thread
// pool's workers adopt for each job, so that every thread computes exactly like the caller.
inline unsigned floating_point_mode() {
#if defined(__SSE__)
  return _mm_getcsr() & ~0x3fu;  // without the sticky exception flags
#else
  return 0;
#endif
}
inline void set_floating_point_mode([[maybe_unused]] unsigned mode) {
#if defined(__SSE__)
  if ((_mm_getcsr() & ~0x3fu) != mode) _mm_setcsr(mode);
#endif
}

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
