// 2-D convolution over channels-last images (height x width x channels per sample, rows packed
// with no padding between pixels), as Keras's Conv2D computes it: a cross-correlation with a
// (kernel height, kernel width, in, out) kernel, stored as rows of (kh, kw, c) by padded filters.
//
// Forward is image_kernels.inc's direct convolution, sample by sample, on a copy of each image with
// its padding written out when the convolution reads padding. Backward: the kernel gradient is a
// dense product (dense_backward.hpp) on an explicit im2col of the batch; the input gradient of a
// stride-1 convolution is itself a direct convolution of the output gradient (with the kernel
// turned round), and of a strided one a dense product summed back onto the pixels (col2im).
#pragma once

#include <algorithm>
#include <cstddef>
#include <type_traits>

#include "activation_kernels.hpp"
#include "backward_epilogue.hpp"
#include "dense_backward.hpp"
#include "gemm.hpp"
#include "image_kernels.hpp"
#include "process_share.hpp"
#include "product_plan.hpp"
#include "simd.hpp"
#include "thread_pool.hpp"

namespace ctnn::codegen {

// Copies `count` floats a vector at a time: the copies of im2col are a few floats each (a 3x3
// kernel row of a 1-channel image is 3), where a call to memmove costs more than the copy.
inline void copy_floats(const float* from, std::size_t count, float* to) {
  std::size_t i = 0;
  for (; i + lanes <= count; i += lanes) floats::load_unaligned(from + i).store_unaligned(to + i);
  for (; i < count; ++i) to[i] = from[i];
}

// The geometry of g on a copy of its input with the padding written out as zeros (and without the
// rows and columns that no window reads): every window lies inside the copy, so every tile takes
// conv_tile's fast path. Tested per tap instead, a 'same' convolution of a 14x14 image leaves it on
// no tile at all, since each tile of 8 pixels touches the image's left or right edge.
constexpr ConvGeometry padded_geometry(const ConvGeometry& g) {
  ConvGeometry p = g;
  p.in_height = (g.out_height - 1) * g.stride + g.kernel_height;
  p.in_width = (g.out_width - 1) * g.stride + g.kernel_width;
  p.pad_top = p.pad_left = 0;
  return p;
}
// Floats of one sample's padded copy (zero when the convolution reads no padding: it needs none).
constexpr std::size_t padded_image_floats(const ConvGeometry& g) {
  if (!g.reads_padding()) return 0;
  return ((g.out_height - 1) * g.stride + g.kernel_height) * ((g.out_width - 1) * g.stride + g.kernel_width) * g.channels;
}

// One sample's image x as padded_geometry(g) reads it.
inline void pad_image(const ConvGeometry& g, const float* x, float* padded_image) {
  const ConvGeometry p = padded_geometry(g);
  const std::size_t channels = g.channels, row_floats = p.in_width * channels, left = g.pad_left * channels;
  const std::size_t copied = std::min(g.in_width, p.in_width - g.pad_left) * channels;
  for (std::size_t row = 0; row < p.in_height; ++row) {
    float* out = padded_image + row * row_floats;
    if (row < g.pad_top || row - g.pad_top >= g.in_height) {
      std::fill_n(out, row_floats, 0.0f);
      continue;
    }
    std::fill_n(out, left, 0.0f);
    copy_floats(x + (row - g.pad_top) * g.in_width * channels, copied, out + left);
    std::fill(out + left + copied, out + row_floats, 0.0f);
  }
}

// One sample of conv2d_forward: y = act(conv(x, kernel) + bias), out_floats floats with zeros after
// the pixels; through padded_image (padded_image_floats(g) floats) unless it is null.
template <class Act>
void conv_sample(const ConvGeometry& g, const float* x, const float* kernel, const float* bias, float* y,
                 std::size_t out_floats, float* padded_image) {
  const auto activation = [](floats z) { return activation_kernel<Act>::forward(z); };
  if (padded_image) {
    pad_image(g, x, padded_image);
    conv_image(padded_geometry(g), g.padded_filters(), padded_image, kernel, bias, y, activation);
  } else {
    conv_image(g, g.padded_filters(), x, kernel, bias, y, activation);
  }
  std::fill(y + g.out_pixels() * g.filters, y + out_floats, 0.0f);
}

// A direct convolution of `rows` samples as a product (product_plan.hpp): output pixels by filters,
// summed over the taps; split over samples.
constexpr Product direct_convolution_product(std::string_view name, const ConvGeometry& g, std::size_t rows) {
  return {.name = name, .kernel = ProductKernel::direct_convolution, .m = rows * g.out_pixels(), .n = g.filters,
          .k = g.taps(), .ldb = g.padded_filters(), .split = SplitOver::samples, .split_count = rows, .grain = 1,
          .min_count = rows_worth_a_thread(g.out_pixels() * g.taps() * g.padded_filters())};
}

// y = act(conv(x, kernel) + bias) for `rows` samples: x rows of in_stride floats, y rows of
// out_stride floats (each sample's out_pixels x filters values, then zeros). The kernel is taps x
// padded(filters) floats, then the bias. Split over samples; each sample is image_kernels.inc's
// conv_image, as in an exported header. With padded_images (rows x padded_image_floats(g)), it
// reads each sample through its padded copy: the same sums in the same order, faster.
template <class Act>
void conv2d_forward(const ConvGeometry& g, const float* x, std::size_t rows, std::size_t in_stride, const float* kernel,
                    const float* bias, float* y, std::size_t out_stride, std::size_t threads = 1,
                    float* padded_images = nullptr) {
  const std::size_t image_floats = padded_image_floats(g);
  direct_convolution_product("forward", g, rows).parallel(threads, [&](std::size_t first, std::size_t end) {
    for (std::size_t s = first; s < end; ++s)
      conv_sample<Act>(g, x + s * in_stride, kernel, bias, y + s * out_stride, out_stride,
                       padded_images && image_floats ? padded_images + s * image_floats : nullptr);
  });
}

// --- The input gradient of a stride-1 convolution: dx(i, j, c) = sum over (kh, kw, f) of
// dz(i + pad_top - kh, j + pad_left - kw, f) * W(kh, kw, c, f), a convolution of dz by W turned
// round (its taps in reverse order, in and out channels swapped), padded by kernel - 1 - padding.

// The convolution that gives g's input gradient (g of stride 1): its input is g's output gradient.
constexpr ConvGeometry input_gradient_geometry(const ConvGeometry& g) {
  return {g.out_height,   g.out_width,   g.filters, g.in_height, g.in_width, g.channels, g.kernel_height,
          g.kernel_width, 1,             g.kernel_height - 1 - g.pad_top, g.kernel_width - 1 - g.pad_left};
}
// Floats of the turned-round kernel (its rows, then a zero bias).
constexpr std::size_t turned_kernel_floats(const ConvGeometry& g) {
  return (g.kernel_height * g.kernel_width * g.filters + 1) * padded(g.channels);
}

// W (taps x padded(filters)) turned round: rows (kh, kw, f) of padded(channels) floats, the channels
// of tap (kernel_height - 1 - kh, kernel_width - 1 - kw), zero-padded, then padded(channels) zeros.
inline void turn_kernel(const ConvGeometry& g, const float* kernel, float* turned) {
  const std::size_t channels = g.channels, filters = g.filters, row = padded(channels), kernel_stride = g.padded_filters();
  std::fill_n(turned, turned_kernel_floats(g), 0.0f);
  for (std::size_t kh = 0; kh < g.kernel_height; ++kh)
    for (std::size_t kw = 0; kw < g.kernel_width; ++kw) {
      const float* tap = kernel + ((g.kernel_height - 1 - kh) * g.kernel_width + (g.kernel_width - 1 - kw)) * channels * kernel_stride;
      float* out = turned + (kh * g.kernel_width + kw) * filters * row;
      for (std::size_t c = 0; c < channels; ++c)
        for (std::size_t f = 0; f < filters; ++f) out[f * row + c] = tap[c * kernel_stride + f];
    }
}

// dx (rows of in_stride floats, zeros after each sample's pixels) of a stride-1 convolution from
// dz (rows of out_stride floats), with turn_kernel's kernel and padded_images of rows x
// padded_image_floats(input_gradient_geometry(g)) floats; each sample's dx then takes the backward
// steps of the layers below (a BackwardEpilogue) while it is in cache. Split over samples; with a
// share of several processes (process_share.hpp), only the samples it names.
template <class Epilogue>
void conv2d_input_gradient(const ConvGeometry& g, const float* dz, std::size_t rows, std::size_t out_stride,
                           const float* turned_kernel, float* padded_images, float* dx, std::size_t in_stride,
                           const Epilogue& steps_below, std::size_t threads = 1, ProcessShare share = {}) {
  const ConvGeometry t = input_gradient_geometry(g);
  const std::size_t image_floats = padded_image_floats(t);
  const float* zero_bias = turned_kernel + t.taps() * t.padded_filters();
  const IndexRange mine = share.rows(rows);
  direct_convolution_product("input gradient", t, mine.size()).parallel(threads, [&](std::size_t first, std::size_t end) {
    for (std::size_t s = mine.begin + first; s < mine.begin + end; ++s) {
      conv_sample<Linear>(t, dz + s * out_stride, turned_kernel, zero_bias, dx + s * in_stride, in_stride,
                          image_floats ? padded_images + s * image_floats : nullptr);
      if constexpr (!std::is_same_v<Epilogue, NoBackwardSteps>)
        apply_backward_steps(steps_below, dx, s * in_stride, (s + 1) * in_stride);
    }
  });
}

// --- The kernel gradient dW = columns^T dZ, summed over every output pixel of the batch, where the
// columns (the im2col of the batch) are never written whole: a block of rows at a time is packed
// into panels that stay in cache while every tile of dW passes over them. Each thread packs only
// the taps of its own rows of dW. Read from the whole im2col instead, each step of a tile waited
// for a new cache line from memory (the kernel gradients were a quarter of CNN B's step).

// Rows of the im2col per block: one block of its panels and of dZ, row_floats floats per row
// together, fills about half of a 512 KiB L2 cache.
constexpr std::size_t kernel_gradient_block_rows(std::size_t row_floats) {
  return std::max<std::size_t>(tile_rows, 256 * 1024 / (row_floats * sizeof(float)) / tile_rows * tile_rows);
}

namespace detail {

// The epilogue of one block of conv2d_kernel_gradient: every sum starts where the previous block
// left it in `running` (zero in the first block) and goes back there, or, after the last block, to
// the regulariser and the sink.
template <class R, class Sink>
struct RunningSumEpilogue {
  float* running;
  std::size_t stride, first_row;
  bool resume, finish;
  const R& regularizer;
  const float* kernel;
  Sink& sink;

  floats initial(std::size_t r, std::size_t c) const {
    return resume ? floats::load_aligned(running + (first_row + r) * stride + c) : floats(0.0f);
  }
  void operator()(std::size_t r, std::size_t c, floats acc) const {
    const std::size_t at = (first_row + r) * stride + c;
    if (!finish) {
      acc.store_aligned(running + at);
      return;
    }
    if (regularizes(regularizer)) acc += regularizer_gradient(regularizer, floats::load_aligned(kernel + at));
    sink(at, acc);
  }
};

}  // namespace detail

// The geometry by which conv2d_kernel_gradient reads each sample: its padded copy when g reads
// padding (forward wrote it), else the input itself. Either way no window leaves the image.
constexpr ConvGeometry unpadded_geometry(const ConvGeometry& g) { return g.reads_padding() ? padded_geometry(g) : g; }

// Rows of the im2col per block, and the floats of the panels of one block.
constexpr std::size_t kernel_gradient_block(const ConvGeometry& g) {
  return kernel_gradient_block_rows(g.taps() + g.padded_filters());
}
constexpr std::size_t packed_columns_floats(const ConvGeometry& g) {
  return kernel_gradient_block(g) * ((g.taps() + tile_rows - 1) / tile_rows * tile_rows);
}

// Rows [k0, k0 + count) of the im2col, taps [first, end) (first a multiple of tile_rows), as
// panels of tile_rows taps: tap first + t * tile_rows + r of row k0 + k at panels[(t * count + k) *
// tile_rows + r]. A last panel's places past `end` hold copies of a real tap, which the product
// (given the real taps only) never reads. images: the samples as `inside` (no padding) reads them.
inline void pack_columns(const ConvGeometry& inside, const float* images, std::size_t image_stride, std::size_t k0,
                         std::size_t count, std::size_t first, std::size_t end, float* panels) {
  const std::size_t channels = inside.channels, width = inside.in_width, pixels = inside.out_pixels();
  const std::size_t tap_floats = inside.kernel_width * channels;
  // Calls f(k, window) for each row: window is the first input float its output pixel reads.
  const auto for_each_window = [&](auto&& f) {
    std::size_t sample = k0 / pixels, row = k0 % pixels / inside.out_width, column = k0 % inside.out_width;
    for (std::size_t k = 0; k < count; ++k) {
      f(k, images + sample * image_stride + (row * inside.stride * width + column * inside.stride) * channels);
      if (++column < inside.out_width) continue;
      column = 0;
      if (++row == inside.out_height) row = 0, ++sample;
    }
  };
  // The taps' offsets from their window's first float, with no padding between pixels.
  const auto offset = [&](std::size_t tap) { return tap / tap_floats * width * channels + tap % tap_floats; };
  // A kernel row's taps (kw, c) are one run of floats in the image. When runs are whole panels, a
  // panel's taps are tile_rows neighbouring floats of one run: a copy per panel and row. So with a
  // 3 x 3 kernel over an even number of channels (32, 64) and AVX2's panels of 6 taps, which went tap
  // by tap below until only whole pixels were panels: CNN B's packing took 41 M of its kernel
  // gradients' 170 M instructions a step (callgrind, 1 thread), 10 M now.
  if (tap_floats % tile_rows == 0) {
    for (std::size_t kh = first / tap_floats; kh * tap_floats < end; ++kh) {
      const std::size_t begin = std::max(first, kh * tap_floats), stop = std::min(end, (kh + 1) * tap_floats);
      const std::size_t from = offset(begin);
      float* panel = panels + (begin - first) * count;
      for_each_window([&](std::size_t k, const float* window) {
        for (std::size_t c = 0; c < stop - begin; c += tile_rows)
          std::copy_n(window + from + c, tile_rows, panel + c * count + k * tile_rows);
      });
    }
    return;
  }
  for (std::size_t t0 = first; t0 < end; t0 += tile_rows) {
    std::size_t offsets[tile_rows];
    const std::size_t real = std::min(tile_rows, end - t0);
    // A tap past `end` copies the last real one: a fixed count of copies per row, with no test.
    for (std::size_t r = 0; r < tile_rows; ++r) offsets[r] = offset(t0 + std::min(r, real - 1));
    float* panel = panels + (t0 - first) * count;
    for_each_window([&](std::size_t k, const float* window) {
      for (std::size_t r = 0; r < tile_rows; ++r) panel[k * tile_rows + r] = window[offsets[r]];
    });
  }
}

// The kernel-gradient product of `rows` samples, taps [first, end) of it (whole tiles): over panels
// of the im2col packed a block of rows at a time, split over the taps.
constexpr Product conv2d_kernel_gradient_product(const ConvGeometry& g, std::size_t rows, std::size_t first, std::size_t end) {
  const std::size_t total = rows * g.out_pixels();
  return {.name = "kernel gradient", .kernel = ProductKernel::gemm_packed_a, .m = end - first, .n = g.filters, .k = total,
          .ldb = g.padded_filters(), .a_transposed = true, .lda = tile_rows, .depth_is_batch = true,
          .k_block = kernel_gradient_block(g), .split = SplitOver::rows,
          .split_count = end - first, .grain = tile_rows, .min_count = rows_worth_a_thread(total * g.padded_filters())};
}

// dW = columns^T dZ (+ the regulariser's gradient), each finished vector to `sink`, dZ as rows of
// padded(filters) floats (rows * out_pixels of them). images, image_stride: as unpadded_geometry(g)
// reads the samples; panels: packed_columns_floats(g); running: taps x padded(filters) floats.
// Split over the taps (rows of dW); every sum runs over the rows in order, as kernel_gradient's.
// With a share of several processes, the taps it names (process_share.hpp's rows of dW), widened to
// whole tiles: a row computed twice is the same on both processes, which keep the owner's.
template <class R, class Sink>
void conv2d_kernel_gradient(const ConvGeometry& g, const R& regularizer, const float* images, std::size_t image_stride,
                            std::size_t rows, const float* delta, const float* kernel, float* panels, float* running,
                            Sink&& sink, std::size_t threads = 1, ProcessShare share = {}) {
  const ConvGeometry inside = unpadded_geometry(g);
  const std::size_t stride = g.padded_filters(), taps = g.taps(), total = rows * g.out_pixels();
  const std::size_t block = kernel_gradient_block(g);
  const IndexRange mine = share.rows(taps);
  if (mine.size() == 0) return;
  const std::size_t low = mine.begin / tile_rows * tile_rows;
  const std::size_t high = std::min(taps, (mine.end + tile_rows - 1) / tile_rows * tile_rows);
  conv2d_kernel_gradient_product(g, rows, low, high).parallel(threads, [&](std::size_t from, std::size_t to) {
    const std::size_t first = low + from, end = low + to;
    float* own_panels = panels + first * block;
    for (std::size_t k0 = 0; k0 < total; k0 += block) {
      const std::size_t count = std::min(block, total - k0);
      pack_columns(inside, images, image_stride, k0, count, first, end, own_panels);
      for (std::size_t t0 = first; t0 < end; t0 += tile_rows) {
        const detail::RunningSumEpilogue<R, std::remove_reference_t<Sink>> epilogue{
            running, stride, t0, k0 != 0, k0 + count == total, regularizer, kernel, sink};
        gemm<AOrder::transposed>(std::min(tile_rows, end - t0), stride, count, fixed<tile_rows>{}, stride,
                                 own_panels + (t0 - first) * count, delta + k0 * stride, epilogue);
      }
    }
  });
}

// The reverse of an im2col, for gradients: dx (rows of in_stride floats) = the sum, over the output
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
