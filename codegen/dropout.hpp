// Inverted dropout in training, as Keras's Dropout layer: each output is kept with probability
// 1 - rate and scaled by 1 / (1 - rate), so that inference, which skips dropout, sees outputs of
// the same expected size. The backward pass multiplies by the same mask.
#pragma once

#include <cstddef>
#include <cstdint>

#include "../dsl/random.hpp"
#include "extent.hpp"
#include "simd.hpp"

namespace ctnn::codegen {

using simd::floats;
using simd::lanes;

// The mask of one layer for one training step depends only on (seed, step, layer): both backends
// and every thread count draw the same one. Drawn on the calling thread, two outputs per 64-bit
// draw; an output is kept when its 32 random bits are at least rate * 2^32.
template <Extent Outputs, Extent Stride>
void dropout_forward(float rate, Outputs outputs, Stride stride, std::size_t rows, const float* output, float* mask,
                     float* dropped, std::uint64_t seed, std::uint64_t step, std::size_t layer) {
  const auto threshold = std::uint32_t(double(rate) * 4294967296.0);  // rate < 1
  const float scale = 1.0f / (1.0f - rate);
  const std::size_t n = outputs, row_floats = stride;
  Rng rng(seed + 0x9e3779b97f4a7c15ULL * (layer + 1), step);
  for (std::size_t r = 0; r < rows; ++r) {
    float* m = mask + r * row_floats;
    for (std::size_t c = 0; c < n; c += 2) {
      const std::uint64_t bits = rng.next();
      m[c] = std::uint32_t(bits) >= threshold ? scale : 0.0f;
      if (c + 1 < n) m[c + 1] = std::uint32_t(bits >> 32) >= threshold ? scale : 0.0f;
    }
    for (std::size_t c = n; c < row_floats; ++c) m[c] = 0.0f;  // padding
    const float* a = output + r * row_floats;
    float* d = dropped + r * row_floats;
    CTNN_UNROLL for (std::size_t c = 0; c < row_floats; c += lanes)
      (floats::load_aligned(a + c) * floats::load_aligned(m + c)).store_aligned(d + c);
  }
}

}  // namespace ctnn::codegen
