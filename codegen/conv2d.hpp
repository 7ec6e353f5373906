// 2-D convolution over channels-last images (height x width x channels per sample, rows packed
// with no padding between pixels), as Keras's Conv2D computes it: a cross-correlation with a
// (kernel height, kernel width, in, out) kernel, stored as rows of (kh, kw, c) by padded filters.
//
// Forward is image_kernels.inc's direct convolution, sample by sample. Backward reuses the dense
// products (dense_backward.hpp) on an explicit im2col of the batch.
#pragma once

#include <algorithm>
#include <cstddef>

#include "activation_kernels.hpp"
#include "gemm.hpp"
#include "image_kernels.hpp"
#include "simd.hpp"
#include "thread_pool.hpp"

namespace ctnn::codegen {

// y = act(conv(x, kernel) + bias) for `rows` samples: x rows of in_stride floats, y rows of
// out_stride floats (each sample's out_pixels x filters values, then zeros). Split over samples;
// each sample is image_kernels.inc's conv_image, as in an exported header.
template <class Act>
void conv2d_forward(const ConvGeometry& g, const float* x, std::size_t rows, std::size_t in_stride, const float* kernel,
                    const float* bias, float* y, std::size_t out_stride, std::size_t threads = 1) {
  const std::size_t pixels = g.out_pixels();
  parallel_ranges(threads, rows, 1, rows_worth_a_thread(pixels * g.taps() * g.padded_filters()),
                  [&](std::size_t first, std::size_t end) {
                    for (std::size_t s = first; s < end; ++s) {
                      float* out = y + s * out_stride;
                      conv_image(g, g.padded_filters(), x + s * in_stride, kernel, bias, out,
                                 [](floats z) { return activation_kernel<Act>::forward(z); });
                      std::fill(out + pixels * g.filters, out + out_stride, 0.0f);
                    }
                  });
}

// Copies `count` floats a vector at a time: the copies of im2col are a few floats each (a 3x3
// kernel row of a 1-channel image is 3), where a call to memmove costs more than the copy.
inline void copy_floats(const float* from, std::size_t count, float* to) {
  std::size_t i = 0;
  for (; i + lanes <= count; i += lanes) floats::load_unaligned(from + i).store_unaligned(to + i);
  for (; i < count; ++i) to[i] = from[i];
}

// The im2col of `rows` samples: row s * out_pixels + p holds the taps (kh, kw, c) output pixel p
// of sample s reads, zero in the padding. columns: rows * out_pixels x taps. Split over samples.
// A kernel row that lies wholly inside the image is one contiguous run of input floats.
inline void im2col(const ConvGeometry& g, const float* x, std::size_t rows, std::size_t in_stride, float* columns,
                   std::size_t threads = 1) {
  const std::size_t pixels = g.out_pixels(), channels = g.channels, run = g.kernel_width * channels;
  parallel_ranges(threads, rows, 1, rows_worth_a_thread(pixels * g.taps()), [&](std::size_t first, std::size_t end) {
    for (std::size_t s = first; s < end; ++s)
      for (std::size_t p = 0; p < pixels; ++p) {
        float* row = columns + (s * pixels + p) * g.taps();
        const std::size_t top = p / g.out_width * g.stride, left = p % g.out_width * g.stride;
        const bool columns_inside = left >= g.pad_left && left - g.pad_left + g.kernel_width <= g.in_width;
        for (std::size_t kh = 0; kh < g.kernel_height; ++kh, row += run) {
          const std::size_t first_pixel = g.padded_pixel(top + kh, left);
          if (columns_inside && first_pixel != g.in_pixels()) {
            copy_floats(x + s * in_stride + first_pixel * channels, run, row);
            continue;
          }
          for (std::size_t kw = 0; kw < g.kernel_width; ++kw) {
            const std::size_t pixel = g.padded_pixel(top + kh, left + kw);
            if (pixel == g.in_pixels()) std::fill_n(row + kw * channels, channels, 0.0f);
            else copy_floats(x + s * in_stride + pixel * channels, channels, row + kw * channels);
          }
        }
      }
  });
}

// The reverse of im2col for gradients: dx (rows of in_stride floats) = the sum, over the output
// pixels and taps that read each input value, of column_gradient (rows * out_pixels x
// column_stride). Padding taps are dropped; each sample's padding floats are zero. Split over
// samples: each sample's sums stay whole.
inline void col2im(const ConvGeometry& g, const float* column_gradient, std::size_t column_stride, std::size_t rows,
                   float* dx, std::size_t in_stride, std::size_t threads = 1) {
  const std::size_t pixels = g.out_pixels(), channels = g.channels;
  parallel_ranges(threads, rows, 1, rows_worth_a_thread(pixels * g.taps()), [&](std::size_t first, std::size_t end) {
    for (std::size_t s = first; s < end; ++s) {
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
  });
}

// Packed rows of `width` values per pixel (rows x stride, pixels x width each) as one row per
// pixel of padded(width) floats, zero-padded: the layout the dense products read.
inline void pad_pixels(const float* packed, std::size_t rows, std::size_t stride, std::size_t pixels, std::size_t width,
                       float* padded_rows, std::size_t threads = 1) {
  const std::size_t padded_width = simd::padded(width);
  parallel_ranges(threads, rows, 1, rows_worth_a_thread(stride), [&](std::size_t first, std::size_t end) {
    for (std::size_t s = first; s < end; ++s)
      for (std::size_t p = 0; p < pixels; ++p) {
        float* out = padded_rows + (s * pixels + p) * padded_width;
        copy_floats(packed + s * stride + p * width, width, out);
        std::fill(out + width, out + padded_width, 0.0f);
      }
  });
}

}  // namespace ctnn::codegen
