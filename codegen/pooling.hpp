// Pooling over channels-last images (rows packed as height x width x channels): a max or a mean
// over each pool_height x pool_width window taken every `stride` pixels (Keras's padding "valid"),
// or the mean over the whole image per channel (global average pooling). Backward passes each
// output's gradient to the input its window's maximum came from (the first, scanning rows then
// columns), or spreads it evenly over the window.
#pragma once

#include <algorithm>
#include <cstddef>

namespace ctnn::codegen {

struct PoolGeometry {
  std::size_t in_height = 0, in_width = 0, channels = 0;
  std::size_t pool_height = 0, pool_width = 0, stride = 1;
  std::size_t out_height = 0, out_width = 0;

  constexpr std::size_t in_pixels() const { return in_height * in_width; }
  constexpr std::size_t out_pixels() const { return out_height * out_width; }
  // The first input pixel of output pixel p's window.
  constexpr std::size_t window_origin(std::size_t p) const {
    return (p / out_width) * stride * in_width + (p % out_width) * stride;
  }
};

// The input pixel holding the maximum of channel c in output pixel p's window (the first of equals).
inline std::size_t window_argmax(const PoolGeometry& g, const float* x, std::size_t p, std::size_t c) {
  const std::size_t origin = g.window_origin(p);
  std::size_t best = origin;
  for (std::size_t i = 0; i < g.pool_height; ++i)
    for (std::size_t j = 0; j < g.pool_width; ++j) {
      const std::size_t pixel = origin + i * g.in_width + j;
      if (x[pixel * g.channels + c] > x[best * g.channels + c]) best = pixel;
    }
  return best;
}

// y = the maximum (Max) or the mean of each window, per channel; each sample's padding floats are zero.
template <bool Max>
void pool_forward(const PoolGeometry& g, const float* x, std::size_t rows, std::size_t in_stride, float* y,
                  std::size_t out_stride) {
  const std::size_t channels = g.channels, pixels = g.out_pixels();
  const float window = float(g.pool_height * g.pool_width);
  for (std::size_t s = 0; s < rows; ++s) {
    const float* sample = x + s * in_stride;
    float* out = y + s * out_stride;
    for (std::size_t p = 0; p < pixels; ++p)
      for (std::size_t c = 0; c < channels; ++c) {
        if constexpr (Max) {
          out[p * channels + c] = sample[window_argmax(g, sample, p, c) * channels + c];
        } else {
          float sum = 0.0f;
          const std::size_t origin = g.window_origin(p);
          for (std::size_t i = 0; i < g.pool_height; ++i)
            for (std::size_t j = 0; j < g.pool_width; ++j) sum += sample[(origin + i * g.in_width + j) * channels + c];
          out[p * channels + c] = sum / window;
        }
      }
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
