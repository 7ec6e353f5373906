// Pooling over channels-last images (rows packed as height x width x channels): a max or a mean
// over each pool_height x pool_width window taken every `stride` pixels (Keras's padding "valid"),
// or the mean over the whole image per channel (global average pooling). Backward passes each
// output's gradient to the input its window's maximum came from (the first, scanning rows then
// columns; training's forward pass keeps where that was), or spreads it evenly over the window.
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

// Where each output's maximum was in its window (i * pool_width + j), kept by training's forward pass
// for backward: the first of equals, as window_max finds it, and 0 (the window's first input) when
// the maximum is a NaN. A float, exact up to 2^24 positions, so that backward compares it in vector
// registers with no conversion (two-byte indices, converted, made the forward pass slower).
using PoolIndex = float;
inline constexpr std::size_t max_pool_positions = std::size_t(1) << 24;

// Calls f(pool_height, pool_width) with the window's sizes as constants for a 2 x 2 window (Keras's
// MaxPooling2D default, nearly every network's) and as run-time values otherwise: with constants the
// loops over a window unroll, and a window takes a few instructions per vector, not its loops'.
template <class F>
decltype(auto) with_window_extents(const PoolGeometry& g, F&& f) {
  if (g.pool_height == 2 && g.pool_width == 2) return f(fixed<2>{}, fixed<2>{});
  return f(g.pool_height, g.pool_width);
}

// Calls f(p, origin) for every output pixel p and the first input pixel of its window, in order.
template <class F>
void for_each_window(const PoolGeometry& g, F&& f) {
  for (std::size_t row = 0, p = 0; row < g.out_height; ++row)
    for (std::size_t column = 0, origin = row * g.stride * g.in_width; column < g.out_width; ++column, ++p, origin += g.stride)
      f(p, origin);
}

// One sample of max pooling in training: y as pool_image<true> computes it, bit for bit, and argmax.
template <Extent PoolHeight, Extent PoolWidth>
void max_pool_image_indexed(const PoolGeometry& g, PoolHeight pool_height, PoolWidth pool_width, const float* x, float* y,
                            PoolIndex* argmax) {
  const std::size_t channels = g.channels, vector_channels = channels / lanes * lanes;
  for_each_window(g, [&](std::size_t p, std::size_t origin) {
    for (std::size_t c = 0; c < vector_channels; c += lanes) {
      const float* first = x + origin * channels + c;
      floats best = floats::load_unaligned(first), where(0.0f);
      for (std::size_t i = 0, k = 0; i < pool_height; ++i)
        for (std::size_t j = 0; j < pool_width; ++j, ++k) {
          const floats value = floats::load_unaligned(first + (i * g.in_width + j) * channels);
          const auto greater = value > best;
          best = xsimd::select(greater, value, best);
          where = xsimd::select(greater, floats(float(k)), where);
        }
      best.store_unaligned(y + p * channels + c);
      where.store_unaligned(argmax + p * channels + c);
    }
    for (std::size_t c = vector_channels; c < channels; ++c) {
      float best = x[origin * channels + c];
      PoolIndex where = 0;
      for (std::size_t i = 0, k = 0; i < pool_height; ++i)
        for (std::size_t j = 0; j < pool_width; ++j, ++k)
          if (const float value = x[(origin + i * g.in_width + j) * channels + c]; value > best) best = value, where = PoolIndex(k);
      y[p * channels + c] = best;
      argmax[p * channels + c] = where;
    }
  });
}

// Max pooling in training: pool_forward<true>'s y, and each sample's argmax (out_pixels x channels
// indices, argmax_stride apart). Split over samples.
inline void max_pool_forward_indexed(const PoolGeometry& g, const float* x, std::size_t rows, std::size_t in_stride, float* y,
                                     std::size_t out_stride, PoolIndex* argmax, std::size_t argmax_stride,
                                     std::size_t threads = 1) {
  const std::size_t outputs = g.out_pixels() * g.channels;
  parallel_ranges(threads, rows, 1, rows_worth_a_thread(in_stride), [&](std::size_t first, std::size_t end) {
    for (std::size_t s = first; s < end; ++s) {
      float* out = y + s * out_stride;
      with_window_extents(g, [&](auto pool_height, auto pool_width) {
        max_pool_image_indexed(g, pool_height, pool_width, x + s * in_stride, out, argmax + s * argmax_stride);
      });
      std::fill(out + outputs, out + out_stride, 0.0f);
    }
  });
}

// One sample's dx from its dy: each output's gradient goes to the input its window's maximum came
// from (Max: argmax, as max_pool_image_indexed kept it), or to every input of its window divided by
// the window's size; then the backward steps of the layers below (a BackwardEpilogue; `at` is the
// sample's offset in the batch's gradient). Channels in vectors, the last ones one at a time.
// Windows that do not overlap (the stride at least the pool) store each input's gradient once, zero
// where the maximum is not, and when they cover the image and its pixels are whole vectors, take
// the steps on the way; otherwise dx adds up in a zeroed sample and takes them in a pass of its own.
template <bool Max, Extent PoolHeight, Extent PoolWidth, class Epilogue>
void pool_image_backward(const PoolGeometry& g, PoolHeight pool_height, PoolWidth pool_width, const PoolIndex* argmax,
                         const float* dy, float* dx, std::size_t in_floats, const Epilogue& steps_below, std::size_t at) {
  const std::size_t channels = g.channels, vector_channels = channels / lanes * lanes;
  const float window = float(pool_height * pool_width);
  const bool disjoint = g.stride >= pool_height && g.stride >= pool_width;
  const bool covered = disjoint && g.stride == pool_height && g.stride == pool_width &&
                       g.out_height * g.stride == g.in_height && g.out_width * g.stride == g.in_width;
  constexpr bool has_steps = !std::is_same_v<Epilogue, NoBackwardSteps>;
  const bool steps_on_the_way = has_steps && covered && channels % lanes == 0;
  if (covered) std::fill(dx + g.in_pixels() * channels, dx + in_floats, 0.0f);  // only the sample's padding
  else std::fill_n(dx, in_floats, 0.0f);
  // Adds (or, with disjoint windows, stores) g into dx at `i`.
  const auto give = [&](std::size_t i, floats gradient) {
    if (steps_on_the_way) steps_below(at + i, gradient).store_aligned(dx + i);
    else if (disjoint) gradient.store_unaligned(dx + i);
    else (floats::load_unaligned(dx + i) + gradient).store_unaligned(dx + i);
  };
  for_each_window(g, [&](std::size_t p, std::size_t origin) {
    for (std::size_t c = 0; c < vector_channels; c += lanes) {
      const floats g_out = floats::load_unaligned(dy + p * channels + c);
      if constexpr (Max) {
        const floats where = floats::load_unaligned(argmax + p * channels + c);
        for (std::size_t i = 0, k = 0; i < pool_height; ++i)
          for (std::size_t j = 0; j < pool_width; ++j, ++k)
            give((origin + i * g.in_width + j) * channels + c, xsimd::select(where == floats(float(k)), g_out, floats(0.0f)));
      } else {
        const floats share = g_out / floats(window);
        for (std::size_t i = 0; i < pool_height; ++i)
          for (std::size_t j = 0; j < pool_width; ++j) give((origin + i * g.in_width + j) * channels + c, share);
      }
    }
    for (std::size_t c = vector_channels; c < channels; ++c) {
      const float g_out = dy[p * channels + c];
      if constexpr (Max) {
        if (disjoint)
          for (std::size_t i = 0; i < pool_height; ++i)
            for (std::size_t j = 0; j < pool_width; ++j) dx[(origin + i * g.in_width + j) * channels + c] = 0.0f;
        const std::size_t where = std::size_t(argmax[p * channels + c]);
        dx[(origin + where / pool_width * g.in_width + where % pool_width) * channels + c] += g_out;
      } else {
        for (std::size_t i = 0; i < pool_height; ++i)
          for (std::size_t j = 0; j < pool_width; ++j) {
            float& target = dx[(origin + i * g.in_width + j) * channels + c];
            target = disjoint ? g_out / window : target + g_out / window;
          }
      }
    }
  });
  if constexpr (has_steps)  // dx - at: the batch's gradient
    apply_backward_steps(steps_below, dx - at, at + (steps_on_the_way ? g.in_pixels() * channels : 0), at + in_floats);
}

// dx from dy (same layouts as forward; Max: with the argmax training's forward pass kept,
// argmax_stride indices per sample), each sample's dx taking the backward steps of the layers below
// (a BackwardEpilogue) while it is in cache. Split over samples.
template <bool Max, class Epilogue>
void pool_backward(const PoolGeometry& g, const PoolIndex* argmax, std::size_t argmax_stride, std::size_t rows,
                   std::size_t in_stride, const float* dy, std::size_t out_stride, float* dx, const Epilogue& steps_below,
                   std::size_t threads = 1) {
  parallel_ranges(threads, rows, 1, rows_worth_a_thread(in_stride), [&](std::size_t first, std::size_t end) {
    for (std::size_t s = first; s < end; ++s)
      with_window_extents(g, [&](auto pool_height, auto pool_width) {
        pool_image_backward<Max>(g, pool_height, pool_width, Max ? argmax + s * argmax_stride : nullptr, dy + s * out_stride,
                                 dx + s * in_stride, in_stride, steps_below, s * in_stride);
      });
  });
}

}  // namespace ctnn::codegen
