// Pooling over channels-last images (rows packed as height x width x channels): a max or a mean
// over each pool_height x pool_width window taken every `stride` pixels (Keras's padding "valid"),
// or the mean over the whole image per channel (global average pooling). Backward passes each
// output's gradient to the input its window's maximum came from (the first, scanning rows then
// columns), or spreads it evenly over the window.
#pragma once

#include <algorithm>
#include <cstddef>

#include "gemm.hpp"
#include "image_kernels.hpp"
#include "thread_pool.hpp"

namespace ctnn::codegen {

// y = the maximum (Max) or the mean of each window, per channel (image_kernels.inc's pool_image,
// as in an exported header); each sample's padding floats are zero. Split over samples.
template <bool Max>
void pool_forward(const PoolGeometry& g, const float* x, std::size_t rows, std::size_t in_stride, float* y,
                  std::size_t out_stride, std::size_t threads = 1) {
  const std::size_t channels = g.channels, pixels = g.out_pixels();
  parallel_ranges(threads, rows, 1, rows_worth_a_thread(in_stride), [&](std::size_t first, std::size_t end) {
    for (std::size_t s = first; s < end; ++s) {
      float* out = y + s * out_stride;
      pool_image<Max>(g, x + s * in_stride, out);
      std::fill(out + pixels * channels, out + out_stride, 0.0f);
    }
  });
}

// One sample's dx from its dy: each output's gradient goes to the input its window's maximum came
// from (Max: the first of equals, as window_argmax finds it; the window's first input when the
// maximum is a NaN), or to every input of its window divided by the window's size. Channels in
// vectors, the last ones one at a time; every input receives its additions in the same order
// either way (a lane that receives nothing adds +0, which changes no sum that starts at +0).
template <bool Max>
void pool_image_backward(const PoolGeometry& g, const float* x, const float* dy, float* dx, std::size_t in_floats) {
  const std::size_t channels = g.channels, pixels = g.out_pixels(), vector_channels = channels / lanes * lanes;
  const float window = float(g.pool_height * g.pool_width);
  std::fill_n(dx, in_floats, 0.0f);
  for (std::size_t p = 0; p < pixels; ++p) {
    const std::size_t origin = g.window_origin(p);
    for (std::size_t c = 0; c < vector_channels; c += lanes) {
      const floats g_out = floats::load_unaligned(dy + p * channels + c);
      if constexpr (Max) {
        const floats best = window_max(g, x, p, c);
        auto pending = best == best || best != best;  // every lane
        for (std::size_t i = 0; i < g.pool_height; ++i)
          for (std::size_t j = 0; j < g.pool_width; ++j) {
            const std::size_t at = (origin + i * g.in_width + j) * channels + c;
            const auto hit = pending && (floats::load_unaligned(x + at) == best || best != best);
            (floats::load_unaligned(dx + at) + xsimd::select(hit, g_out, floats(0.0f))).store_unaligned(dx + at);
            pending = pending && !hit;
          }
      } else {
        const floats share = g_out / floats(window);
        for (std::size_t i = 0; i < g.pool_height; ++i)
          for (std::size_t j = 0; j < g.pool_width; ++j) {
            float* target = dx + (origin + i * g.in_width + j) * channels + c;
            (floats::load_unaligned(target) + share).store_unaligned(target);
          }
      }
    }
    for (std::size_t c = vector_channels; c < channels; ++c) {
      const float g_out = dy[p * channels + c];
      if constexpr (Max) {
        dx[window_argmax(g, x, p, c) * channels + c] += g_out;
      } else {
        for (std::size_t i = 0; i < g.pool_height; ++i)
          for (std::size_t j = 0; j < g.pool_width; ++j) dx[(origin + i * g.in_width + j) * channels + c] += g_out / window;
      }
    }
  }
}

// dx from dy (same layouts as forward); x is the forward pass's input, where the maxima are found
// again (cheaper than keeping an index per output: a window's few loads, vectorised). Split over samples.
template <bool Max>
void pool_backward(const PoolGeometry& g, const float* x, std::size_t rows, std::size_t in_stride, const float* dy,
                   std::size_t out_stride, float* dx, std::size_t threads = 1) {
  parallel_ranges(threads, rows, 1, rows_worth_a_thread(in_stride), [&](std::size_t first, std::size_t end) {
    for (std::size_t s = first; s < end; ++s)
      pool_image_backward<Max>(g, x + s * in_stride, dy + s * out_stride, dx + s * in_stride, in_stride);
  });
}

}  // namespace ctnn::codegen
