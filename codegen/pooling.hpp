// Pooling over channels-last images (rows packed as height x width x channels): a max or a mean
// over each pool_height x pool_width window taken every `stride` pixels (Keras's padding "valid"),
// or the mean over the whole image per channel (global average pooling). Backward passes each
// output's gradient to the input its window's maximum came from (the first, scanning rows then
// columns), or spreads it evenly over the window.
#pragma once

#include <algorithm>
#include <cstddef>

#include "image_kernels.hpp"

namespace ctnn::codegen {

// y = the maximum (Max) or the mean of each window, per channel (image_kernels.inc's pool_image,
// as in an exported header); each sample's padding floats are zero.
template <bool Max>
void pool_forward(const PoolGeometry& g, const float* x, std::size_t rows, std::size_t in_stride, float* y,
                  std::size_t out_stride) {
  const std::size_t channels = g.channels, pixels = g.out_pixels();
  for (std::size_t s = 0; s < rows; ++s) {
    float* out = y + s * out_stride;
    pool_image<Max>(g, x + s * in_stride, out);
    std::fill(out + pixels * channels, out + out_stride, 0.0f);
  }
}

// dx from dy (same layouts as forward); x is the forward pass's input, where the maxima are found again.
template <bool Max>
void pool_backward(const PoolGeometry& g, const float* x, std::size_t rows, std::size_t in_stride, const float* dy,
                   std::size_t out_stride, float* dx) {
  const std::size_t channels = g.channels, pixels = g.out_pixels();
  const float window = float(g.pool_height * g.pool_width);
  for (std::size_t s = 0; s < rows; ++s) {
    const float* sample = x + s * in_stride;
    const float* gradient = dy + s * out_stride;
    float* target = dx + s * in_stride;
    std::fill_n(target, in_stride, 0.0f);
    for (std::size_t p = 0; p < pixels; ++p)
      for (std::size_t c = 0; c < channels; ++c) {
        const float g_out = gradient[p * channels + c];
        if constexpr (Max) {
          target[window_argmax(g, sample, p, c) * channels + c] += g_out;
        } else {
          const std::size_t origin = g.window_origin(p);
          for (std::size_t i = 0; i < g.pool_height; ++i)
            for (std::size_t j = 0; j < g.pool_width; ++j) target[(origin + i * g.in_width + j) * channels + c] += g_out / window;
        }
      }
  }
}

}  // namespace ctnn::codegen
