// 2-D convolution over channels-last images (height x width x channels per sample, rows packed
// with no padding between pixels), as Keras's Conv2D computes it: a cross-correlation with a
// (kernel height, kernel width, in, out) kernel, stored as rows of (kh, kw, c) by padded filters.
//
// Forward is a direct, register-blocked convolution: each tile of output pixels by filter vectors
// gathers its input taps as it goes (an implicit im2col), so inference needs no scratch. Backward
// reuses the dense products (dense_backward.hpp) on an explicit im2col of the batch.
#pragma once

#include <algorithm>
#include <cstddef>

#include "activation_kernels.hpp"
#include "gemm.hpp"
#include "simd.hpp"
#include "thread_pool.hpp"

namespace ctnn::codegen {

// Where a convolution reads and writes. Padding `same` shows as pad_top / pad_left (Keras puts the
// odd extra row or column at the bottom and right).
struct ConvGeometry {
  std::size_t in_height = 0, in_width = 0, channels = 0;
  std::size_t out_height = 0, out_width = 0, filters = 0;
  std::size_t kernel_height = 0, kernel_width = 0, stride = 1;
  std::size_t pad_top = 0, pad_left = 0;

  constexpr std::size_t in_pixels() const { return in_height * in_width; }
  constexpr std::size_t out_pixels() const { return out_height * out_width; }
  constexpr std::size_t taps() const { return kernel_height * kernel_width * channels; }  // the kernel's rows
  constexpr std::size_t padded_filters() const { return simd::padded(filters); }

  // The input pixel that tap (kh, kw) of output pixel p reads, or in_pixels() when it falls in the padding.
  constexpr std::size_t input_pixel(std::size_t p, std::size_t kh, std::size_t kw) const {
    const std::size_t oh = p / out_width, ow = p % out_width;
    const std::size_t ih = oh * stride + kh, iw = ow * stride + kw;  // offset by the padding
    if (ih < pad_top || iw < pad_left || ih - pad_top >= in_height || iw - pad_left >= in_width) return in_pixels();
    return (ih - pad_top) * in_width + (iw - pad_left);
  }
};

namespace detail {

// Stores the first `count` lanes of v at out (count <= lanes): the last filters of a pixel whose
// filter count is not a whole number of vectors, without touching the next pixel's.
inline void store_first(simd::floats v, float* out, std::size_t count) {
  if (count == simd::lanes) {
    v.store_unaligned(out);
    return;
  }
  alignas(64) float lanes_of[simd::lanes];
  v.store_aligned(lanes_of);
  std::copy_n(lanes_of, count, out);
}

// What a tap in the padding reads: zeros, so that the tile's inner loop has no branch (a branch
// there makes the compiler keep the accumulators in memory). Channels go in blocks of this many.
inline constexpr std::size_t zero_tap_channels = 512;
alignas(64) inline constexpr float zero_taps[zero_tap_channels] = {};

// Output pixels [p0, p0 + Rows) of one sample against filter vectors [v0, v0 + Vectors).
template <std::size_t Rows, std::size_t Vectors, class Act>
void conv_tile(const ConvGeometry& g, const float* x, const float* kernel, const float* bias, float* y, std::size_t p0,
               std::size_t v0) {
  using simd::floats;
  constexpr std::size_t lanes = simd::lanes;
  const std::size_t kernel_stride = g.padded_filters(), channels = g.channels;
  floats acc[Rows][Vectors];
  for (std::size_t r = 0; r < Rows; ++r)
    for (std::size_t j = 0; j < Vectors; ++j) acc[r][j] = floats(0.0f);
  for (std::size_t kh = 0; kh < g.kernel_height; ++kh)
    for (std::size_t kw = 0; kw < g.kernel_width; ++kw) {
      std::size_t pixels[Rows];  // each output pixel's input pixel for this tap (in_pixels() in the padding)
      for (std::size_t r = 0; r < Rows; ++r) pixels[r] = g.input_pixel(p0 + r, kh, kw);
      for (std::size_t c0 = 0; c0 < channels; c0 += zero_tap_channels) {
        const std::size_t block = std::min(zero_tap_channels, channels - c0);
        const float* taps[Rows];
        for (std::size_t r = 0; r < Rows; ++r) taps[r] = pixels[r] == g.in_pixels() ? zero_taps : x + pixels[r] * channels + c0;
        const float* w = kernel + ((kh * g.kernel_width + kw) * channels + c0) * kernel_stride + v0 * lanes;
        for (std::size_t c = 0; c < block; ++c, w += kernel_stride) {
          floats b[Vectors];
          for (std::size_t j = 0; j < Vectors; ++j) b[j] = floats::load_aligned(w + j * lanes);
          for (std::size_t r = 0; r < Rows; ++r) {
            const floats a(taps[r][c]);
            for (std::size_t j = 0; j < Vectors; ++j) acc[r][j] = simd::fma(a, b[j], acc[r][j]);
          }
        }
      }
    }
  for (std::size_t j = 0; j < Vectors; ++j) {
    const std::size_t f = (v0 + j) * lanes;
    const floats bias_vector = floats::load_aligned(bias + f);
    for (std::size_t r = 0; r < Rows; ++r)
      store_first(activation_kernel<Act>::forward(acc[r][j] + bias_vector), y + (p0 + r) * g.filters + f,
                  std::min(lanes, g.filters - f));
  }
}

}  // namespace detail

// y = act(conv(x, kernel) + bias) for `rows` samples: x rows of in_stride floats, y rows of
// out_stride floats (each sample's out_pixels x filters values, then zeros). Split over samples.
template <class Act>
void conv2d_forward(const ConvGeometry& g, const float* x, std::size_t rows, std::size_t in_stride, const float* kernel,
                    const float* bias, float* y, std::size_t out_stride, std::size_t threads = 1) {
  constexpr std::size_t tile = tile_rows, vectors_per_tile = tile_vectors;
  const std::size_t vectors = g.padded_filters() / simd::lanes, pixels = g.out_pixels();
  parallel_ranges(threads, rows, 1, rows_worth_a_thread(pixels * g.taps() * g.padded_filters()),
                  [&](std::size_t first, std::size_t end) {
                    for (std::size_t s = first; s < end; ++s) {
                      const float* sample = x + s * in_stride;
                      float* out = y + s * out_stride;
                      for (std::size_t v0 = 0; v0 < vectors; v0 += vectors_per_tile) {
                        const std::size_t width = std::min(vectors_per_tile, vectors - v0);
                        const auto columns = [&]<std::size_t Rows>(std::size_t p0) {
                          if (width == vectors_per_tile) detail::conv_tile<Rows, vectors_per_tile, Act>(g, sample, kernel, bias, out, p0, v0);
                          else if constexpr (vectors_per_tile > 2) {
                            if (width == 2) detail::conv_tile<Rows, 2, Act>(g, sample, kernel, bias, out, p0, v0);
                            else detail::conv_tile<Rows, 1, Act>(g, sample, kernel, bias, out, p0, v0);
                          } else {
                            detail::conv_tile<Rows, 1, Act>(g, sample, kernel, bias, out, p0, v0);
                          }
                        };
                        std::size_t p0 = 0;
                        for (; p0 + tile <= pixels; p0 += tile) columns.template operator()<tile>(p0);
                        for (; p0 < pixels; ++p0) columns.template operator()<1>(p0);
                      }
                      std::fill(out + pixels * g.filters, out + out_stride, 0.0f);
                    }
                  });
}

// The im2col of `rows` samples: row s * out_pixels + p holds the taps (kh, kw, c) output pixel p
// of sample s reads, zero in the padding. columns: rows * out_pixels x taps.
inline void im2col(const ConvGeometry& g, const float* x, std::size_t rows, std::size_t in_stride, float* columns) {
  const std::size_t pixels = g.out_pixels(), channels = g.channels;
  for (std::size_t s = 0; s < rows; ++s)
    for (std::size_t p = 0; p < pixels; ++p) {
      float* row = columns + (s * pixels + p) * g.taps();
      for (std::size_t kh = 0; kh < g.kernel_height; ++kh)
        for (std::size_t kw = 0; kw < g.kernel_width; ++kw, row += channels) {
          const std::size_t pixel = g.input_pixel(p, kh, kw);
          if (pixel == g.in_pixels()) std::fill_n(row, channels, 0.0f);
          else std::copy_n(x + s * in_stride + pixel * channels, channels, row);
        }
    }
}

// The reverse of im2col for gradients: dx (rows of in_stride floats) = the sum, over the output
// pixels and taps that read each input value, of column_gradient (rows * out_pixels x
// column_stride). Padding taps are dropped; each sample's padding floats are zero.
inline void col2im(const ConvGeometry& g, const float* column_gradient, std::size_t column_stride, std::size_t rows,
                   float* dx, std::size_t in_stride) {
  const std::size_t pixels = g.out_pixels(), channels = g.channels;
  for (std::size_t s = 0; s < rows; ++s) {
    float* sample = dx + s * in_stride;
    std::fill_n(sample, in_stride, 0.0f);
    for (std::size_t p = 0; p < pixels; ++p) {
      const float* row = column_gradient + (s * pixels + p) * column_stride;
      for (std::size_t kh = 0; kh < g.kernel_height; ++kh)
        for (std::size_t kw = 0; kw < g.kernel_width; ++kw, row += channels) {
          const std::size_t pixel = g.input_pixel(p, kh, kw);
          if (pixel == g.in_pixels()) continue;
          float* target = sample + pixel * channels;
          for (std::size_t c = 0; c < channels; ++c) target[c] += row[c];
        }
    }
  }
}

// Packed rows of `width` values per pixel (rows x stride, pixels x width each) as one row per
// pixel of padded(width) floats, zero-padded: the layout the dense products read.
inline void pad_pixels(const float* packed, std::size_t rows, std::size_t stride, std::size_t pixels, std::size_t width,
                       float* padded_rows) {
  const std::size_t padded_width = simd::padded(width);
  for (std::size_t s = 0; s < rows; ++s)
    for (std::size_t p = 0; p < pixels; ++p) {
      float* out = std::copy_n(packed + s * stride + p * width, width, padded_rows + (s * pixels + p) * padded_width);
      std::fill(out, padded_rows + (s * pixels + p + 1) * padded_width, 0.0f);
    }
}

}  // namespace ctnn::codegen
