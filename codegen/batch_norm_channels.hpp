// Batch normalisation of feature maps, as Keras's BatchNormalization on a convolution's output:
// one mean and variance per channel, over every sample of the batch and every pixel. A row of the
// batch holds positions x channels floats (channels last), then zeros up to `stride`.
//
// Channel counts that fill whole SIMD vectors (32, 64, ...) run vectorised; any other count runs
// the same arithmetic one float at a time (a vector would straddle two pixels). Sums run in one
// fixed order on the calling thread (per row, then over rows), so results do not depend on the
// thread count; per-row partial sums keep the rounding error of the long sums small.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "image_kernels.hpp"
#include "simd.hpp"

namespace ctnn::codegen {

struct ChannelMaps {
  std::size_t positions = 0, channels = 0, stride = 0;  // stride: floats per row, >= positions * channels

  constexpr std::size_t padded_channels() const { return simd::padded(channels); }
  // Per-channel buffers the training kernels use for their sums: four of padded_channels().
  constexpr std::size_t sum_floats() const { return 4 * padded_channels(); }
};

namespace detail {

// One float or one vector of floats, so that one body serves both widths.
template <class V>
struct ChannelLane {
  static constexpr std::size_t width = simd::lanes;
  static V load(const float* at) { return V::load_unaligned(at); }
  static void store(V value, float* at) { value.store_unaligned(at); }
};
template <>
struct ChannelLane<float> {
  static constexpr std::size_t width = 1;
  static float load(const float* at) { return *at; }
  static void store(float value, float* at) { *at = value; }
};

// body(V{}) with V = simd::floats when whole vectors fit the channels, float otherwise.
template <class Body>
void with_channel_lanes(std::size_t channels, Body&& body) {
  if (channels % simd::lanes == 0)
    body(simd::floats(0.0f));
  else
    body(0.0f);
}

// total[c] += the sum over rows and positions of value(at, c), where `at` is the offset of
// channel c of a pixel; through `partial`, one row at a time.
template <class V, class Value>
void sum_per_channel(const ChannelMaps& maps, std::size_t rows, float* partial, float* total, const Value& value) {
  using Lane = ChannelLane<V>;
  for (std::size_t r = 0; r < rows; ++r) {
    std::fill_n(partial, maps.channels, 0.0f);
    for (std::size_t p = 0; p < maps.positions; ++p) {
      const std::size_t pixel = r * maps.stride + p * maps.channels;
      for (std::size_t c = 0; c < maps.channels; c += Lane::width)
        Lane::store(Lane::load(partial + c) + value(pixel + c, c), partial + c);
    }
    for (std::size_t c = 0; c < maps.channels; ++c) total[c] += partial[c];
  }
}

// Zeros after the pixels of each row.
inline void zero_row_tails(const ChannelMaps& maps, std::size_t rows, float* data) {
  const std::size_t used = maps.positions * maps.channels;
  for (std::size_t r = 0; r < rows; ++r) std::fill(data + r * maps.stride + used, data + (r + 1) * maps.stride, 0.0f);
}

}  // namespace detail

// Training forward. parameters: gamma, beta, moving mean, moving variance, rows of
// padded_channels() floats. Writes x_hat to `normalized`, gamma * x_hat + beta to `output`,
// 1 / sqrt(variance + epsilon) per channel to `inverse_std`, and moves the moving statistics
// (moving * momentum + batch * (1 - momentum), the batch's biased variance). `sums`: sum_floats().
inline void batch_norm_channels_forward(const ChannelMaps& maps, std::size_t rows, const float* input,
                                        float* parameters, float momentum, float epsilon, float* sums,
                                        float* normalized, float* output, float* inverse_std) {
  const std::size_t width = maps.padded_channels();
  float *mean = sums, *squares = sums + width, *partial = sums + 2 * width;
  std::fill_n(sums, maps.sum_floats(), 0.0f);
  const float count = static_cast<float>(rows * maps.positions);
  float *gamma = parameters, *beta = parameters + width;
  float *moving_mean = parameters + 2 * width, *moving_variance = parameters + 3 * width;
  detail::with_channel_lanes(maps.channels, [&]<class V>(V) {
    using Lane = detail::ChannelLane<V>;
    detail::sum_per_channel<V>(maps, rows, partial, mean, [&](std::size_t at, std::size_t) { return Lane::load(input + at); });
    for (std::size_t c = 0; c < maps.channels; ++c) mean[c] /= count;
    detail::sum_per_channel<V>(maps, rows, partial, squares, [&](std::size_t at, std::size_t c) {
      const V centred = Lane::load(input + at) - Lane::load(mean + c);
      return centred * centred;
    });
    for (std::size_t c = 0; c < maps.channels; ++c) {
      const float variance = squares[c] / count;
      inverse_std[c] = 1.0f / std::sqrt(variance + epsilon);
      moving_mean[c] = moving_mean[c] * momentum + mean[c] * (1.0f - momentum);
      moving_variance[c] = moving_variance[c] * momentum + variance * (1.0f - momentum);
    }
    std::fill(inverse_std + maps.channels, inverse_std + width, 0.0f);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t p = 0; p < maps.positions; ++p) {
        const std::size_t pixel = r * maps.stride + p * maps.channels;
        for (std::size_t c = 0; c < maps.channels; c += Lane::width) {
          const V x_hat = (Lane::load(input + pixel + c) - Lane::load(mean + c)) * Lane::load(inverse_std + c);
          Lane::store(x_hat, normalized + pixel + c);
          Lane::store(Lane::load(gamma + c) * x_hat + Lane::load(beta + c), output + pixel + c);
        }
      }
  });
  detail::zero_row_tails(maps, rows, normalized);
  detail::zero_row_tails(maps, rows, output);
}

// In place, as batch_norm_backward (batch_norm.hpp) per channel: `gradient` holds dL/dy on entry
// and dL/dx on exit, each vector passed through `epilogue(offset, g)` before it is stored; gamma's
// and beta's gradients go to their sinks after gamma has been read. `sums`: sum_floats().
template <class Epilogue, class GammaSink, class BetaSink>
void batch_norm_channels_backward(const ChannelMaps& maps, std::size_t rows, const float* normalized,
                                  const float* inverse_std, const float* gamma, float* sums, const Epilogue& epilogue,
                                  float* gradient, GammaSink&& gamma_sink, BetaSink&& beta_sink) {
  const std::size_t width = maps.padded_channels();
  float *sum_dy = sums, *sum_dy_x_hat = sums + width, *partial = sums + 2 * width, *scale = sums + 3 * width;
  std::fill_n(sums, maps.sum_floats(), 0.0f);
  const float count = static_cast<float>(rows * maps.positions);
  detail::with_channel_lanes(maps.channels, [&]<class V>(V) {
    using Lane = detail::ChannelLane<V>;
    detail::sum_per_channel<V>(maps, rows, partial, sum_dy, [&](std::size_t at, std::size_t) { return Lane::load(gradient + at); });
    detail::sum_per_channel<V>(maps, rows, partial, sum_dy_x_hat, [&](std::size_t at, std::size_t) {
      return Lane::load(gradient + at) * Lane::load(normalized + at);
    });
    for (std::size_t c = 0; c < maps.channels; ++c) scale[c] = gamma[c] * inverse_std[c] / count;
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t p = 0; p < maps.positions; ++p) {
        const std::size_t pixel = r * maps.stride + p * maps.channels;
        for (std::size_t c = 0; c < maps.channels; c += Lane::width) {
          const V dy = Lane::load(gradient + pixel + c);
          const V dx = Lane::load(scale + c) * (V(count) * dy - Lane::load(sum_dy + c) -
                                                Lane::load(normalized + pixel + c) * Lane::load(sum_dy_x_hat + c));
          if constexpr (Lane::width == simd::lanes)
            epilogue(pixel + c, dx).store_aligned(gradient + pixel + c);  // whole vectors of whole pixels: aligned
          else
            Lane::store(dx, gradient + pixel + c);
        }
      }
      if constexpr (Lane::width == 1)
        for (std::size_t at = r * maps.stride; at < (r + 1) * maps.stride; at += simd::lanes)
          epilogue(at, simd::floats::load_aligned(gradient + at)).store_aligned(gradient + at);
    }
  });
  for (std::size_t c = 0; c < width; c += simd::lanes) {
    gamma_sink(c, simd::floats::load_aligned(sum_dy_x_hat + c));
    beta_sink(c, simd::floats::load_aligned(sum_dy + c));
  }
}

// Inference, in place: y = x * s + (beta - mean * s), s = gamma / sqrt(moving variance + epsilon),
// per channel (image_kernels.inc's batch_norm_channels_rows, as in an exported header).
inline void batch_norm_channels_inference(const ChannelMaps& maps, const float* parameters, float epsilon,
                                          float* data, std::size_t rows) {
  batch_norm_channels_rows(maps.positions, maps.channels, maps.padded_channels(), parameters, epsilon, data, rows,
                           maps.stride);
}

}  // namespace ctnn::codegen
