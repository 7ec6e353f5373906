// Pooling over channels-last images (rows packed as height x width x channels): a max or a mean
// over each pool_height x pool_width window taken every `stride` pixels (Keras's padding "valid"),
// or the mean over the whole image per channel (global average pooling). Backward passes each
// output's gradient to the input its window's maximum came from (the first, scanning rows then
// columns), or spreads it evenly over the window.
#pragma once

#include <algorithm>
#include <cstddef>
#include <type_traits>

#include "backward_epilogue.hpp"
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
// vectors, the last ones one at a time. Windows that do not overlap (the stride at least the pool)
// store each input's gradient once, zero where the maximum is not; overlapping ones add into a
// zeroed dx, every input receiving its additions in the same order either way.
template <bool Max>
void pool_image_backward(const PoolGeometry& g, const float* x, const float* dy, float* dx, std::size_t in_floats) {
  const std::size_t channels = g.channels, pixels = g.out_pixels(), vector_channels = channels / lanes * lanes;
  const float window = float(g.pool_height * g.pool_width);
  const bool disjoint = g.stride >= g.pool_height && g.stride >= g.pool_width;
  const bool covered = disjoint && g.stride == g.pool_height && g.stride == g.pool_width &&
                       g.out_height * g.stride == g.in_height && g.out_width * g.stride == g.in_width;
  if (covered) std::fill(dx + g.in_pixels() * channels, dx + in_floats, 0.0f);  // only the sample's padding
  else std::fill_n(dx, in_floats, 0.0f);
  // Adds (or, with disjoint windows, stores) g into dx at `at`.
  const auto give = [&](std::size_t at, floats gradient) {
    if (disjoint) gradient.store_unaligned(dx + at);
    else (floats::load_unaligned(dx + at) + gradient).store_unaligned(dx + at);
  };
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
            give(at, xsimd::select(hit, g_out, floats(0.0f)));
            pending = pending && !hit;
          }
      } else {
        const floats share = g_out / floats(window);
        for (std::size_t i = 0; i < g.pool_height; ++i)
          for (std::size_t j = 0; j < g.pool_width; ++j) give((origin + i * g.in_width + j) * channels + c, share);
      }
    }
    for (std::size_t c = vector_channels; c < channels; ++c) {
      const float g_out = dy[p * channels + c];
      if constexpr (Max) {
        if (disjoint)
          for (std::size_t i = 0; i < g.pool_height; ++i)
            for (std::size_t j = 0; j < g.pool_width; ++j) dx[(origin + i * g.in_width + j) * channels + c] = 0.0f;
        dx[window_argmax(g, x, p, c) * channels + c] += g_out;
      } else {
        for (std::size_t i = 0; i < g.pool_height; ++i)
          for (std::size_t j = 0; j < g.pool_width; ++j) {
            float& target = dx[(origin + i * g.in_width + j) * channels + c];
            target = disjoint ? g_out / window : target + g_out / window;
          }
      }
    }
  }
}

// dx from dy (same layouts as forward); x is the forward pass's input, where the maxima are found
// again (cheaper than keeping an index per output: a window's few loads, vectorised). Each sample's
// dx then takes the backward steps of the layers below (a BackwardEpilogue) while it is in cache.
// Split over samples.
template <bool Max, class Epilogue>
void pool_backward(const PoolGeometry& g, const float* x, std::size_t rows, std::size_t in_stride, const float* dy,
                   std::size_t out_stride, float* dx, const Epilogue& epilogue, std::size_t threads = 1) {
  parallel_ranges(threads, rows, 1, rows_worth_a_thread(in_stride), [&](std::size_t first, std::size_t end) {
    for (std::size_t s = first; s < end; ++s) {
      pool_image_backward<Max>(g, x + s * in_stride, dy + s * out_stride, dx + s * in_stride, in_stride);
      if constexpr (!std::is_same_v<Epilogue, NoBackwardSteps>)
        for (std::size_t at = s * in_stride; at < (s + 1) * in_stride; at += lanes)
          epilogue(at, floats::load_aligned(dx + at)).store_aligned(dx + at);
    }
  });
}

}  // namespace ctnn::codegen
