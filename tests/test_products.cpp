// A convolution's kernel gradient, a sum over every output pixel of a batch whose im2col is packed
// a cache-sized block of rows at a time: against a double-precision reference, and bit for bit
// against the dense product on the whole im2col, on 1 and 3 threads.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <utility>

#include "multiply_add.hpp"

using namespace ctnn;

namespace {

struct Buffers {
  Arena arena;
  explicit Buffers(std::size_t floats) : arena(std::max<std::size_t>(floats, 1) * sizeof(float)) {}
  float* data() { return in_arena(arena.data(), 0); }
};

// The input value tap (kh, kw, c) of output pixel (i, j) reads, zero in the padding, written
// from the definition rather than from ConvGeometry's helpers.
float tap_value(const codegen::ConvGeometry& g, const float* image, std::size_t i, std::size_t j, std::size_t kh,
                std::size_t kw, std::size_t c) {
  const long row = long(i * g.stride + kh) - long(g.pad_top), column = long(j * g.stride + kw) - long(g.pad_left);
  if (row < 0 || column < 0 || row >= long(g.in_height) || column >= long(g.in_width)) return 0.0f;
  return image[(std::size_t(row) * g.in_width + std::size_t(column)) * g.channels + c];
}

}  // namespace

TEST_CASE("a convolution's kernel gradient, packed a block of rows at a time, is the dense product bit for bit") {
  struct Case {
    const char* name;
    codegen::ConvGeometry g;
  };
  // in h, w, c; out h, w, filters; kernel h, w; stride; pad top, left
  const Case cases[] = {
      {"3x3 same on 5x7x3, 17 filters", {5, 7, 3, 5, 7, 17, 3, 3, 1, 1, 1}},
      {"5x5 valid, stride 2, on 11x9x8, 37 filters", {11, 9, 8, 4, 3, 37, 5, 5, 2, 0, 0}},
      {"3x3 same, stride 2, on 6x6x16, 5 filters", {6, 6, 16, 3, 3, 5, 3, 3, 2, 0, 0}},
      {"1x1 on 4x4x1, 3 filters", {4, 4, 1, 4, 4, 3, 1, 1, 1, 0, 0}},
      // Panels of taps from neighbouring pixels of one kernel row (6 taps a row with AVX2, 16 with AVX-512).
      {"3x3 valid on 6x5x2, 4 filters", {6, 5, 2, 4, 3, 4, 3, 3, 1, 0, 0}},
      {"2x4 valid on 5x6x4, 6 filters", {5, 6, 4, 4, 3, 6, 2, 4, 1, 0, 0}},
  };
  for (const Case& test : cases) {
    const codegen::ConvGeometry& g = test.g;
    INFO(test.name);
    const std::size_t taps = g.taps(), stride = g.padded_filters(), pixels = g.out_pixels();
    // Enough samples for several blocks and a partial last one.
    const std::size_t samples = 3 * codegen::kernel_gradient_block(g) / pixels + 7, rows = samples * pixels;
    const std::size_t in_stride = g.in_pixels() * g.channels + 5;

    std::mt19937 random(7);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    Buffers x(samples * in_stride), delta(rows * stride), kernel(taps * stride), columns(rows * taps);
    for (std::size_t i = 0; i < samples * in_stride; ++i) x.data()[i] = normal(random);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t f = 0; f < g.filters; ++f) delta.data()[r * stride + f] = normal(random);
    for (std::size_t t = 0; t < taps; ++t)
      for (std::size_t f = 0; f < g.filters; ++f) kernel.data()[t * stride + f] = normal(random);
    for (std::size_t s = 0; s < samples; ++s)
      for (std::size_t p = 0; p < pixels; ++p)
        for (std::size_t kh = 0; kh < g.kernel_height; ++kh)
          for (std::size_t kw = 0; kw < g.kernel_width; ++kw)
            for (std::size_t c = 0; c < g.channels; ++c)
              columns.data()[(s * pixels + p) * taps + (kh * g.kernel_width + kw) * g.channels + c] =
                  tap_value(g, x.data() + s * in_stride, p / g.out_width, p % g.out_width, kh, kw, c);
    const RegularizerSpec regularizer{.l1 = 0.01f, .l2 = 0.02f};

    Buffers dense(taps * stride);
    const codegen::DenseShape shape{taps, g.filters, taps};
    codegen::kernel_gradient(shape, regularizer, columns.data(), rows, delta.data(), kernel.data(), dense.data(), 1);
    for (std::size_t t = 0; t < taps; ++t)
      for (std::size_t f = 0; f < g.filters; ++f) {
        double sum = 0.0;
        for (std::size_t r = 0; r < rows; ++r) sum += double(columns.data()[r * taps + t]) * delta.data()[r * stride + f];
        const double w = kernel.data()[t * stride + f];
        sum += regularizer.l1 * (w > 0 ? 1.0 : w < 0 ? -1.0 : 0.0) + 2.0 * regularizer.l2 * w;
        INFO("dW(" << t << ", " << f << ")");
        CHECK(dense.data()[t * stride + f] == Approx(sum).epsilon(1e-4).margin(1e-3));
      }

    // The samples as conv2d_kernel_gradient reads them: their padded copies when g reads padding.
    const bool padded = g.reads_padding();
    const std::size_t image_stride = padded ? codegen::padded_image_floats(g) : in_stride;
    Buffers images(samples * image_stride);
    if (padded)
      for (std::size_t s = 0; s < samples; ++s) codegen::pad_image(g, x.data() + s * in_stride, images.data() + s * image_stride);
    for (const std::size_t threads : {1, 3}) {
      INFO(threads << " threads");
      Buffers packed(taps * stride), panels(codegen::packed_columns_floats(g)), running(taps * stride);
      codegen::conv2d_kernel_gradient(g, regularizer, padded ? images.data() : x.data(), image_stride, samples, delta.data(),
                                      kernel.data(), panels.data(), running.data(), codegen::StoreGradient{packed.data()},
                                      threads);
      CHECK(std::memcmp(packed.data(), dense.data(), taps * stride * sizeof(float)) == 0);
    }
  }
}

namespace {

// The forward product and the input gradient of a dense layer of `inputs` x `outputs` on `rows` rows,
// against each sum computed the way the kernels promise to compute it: one fused multiply-add after
// another, k in order, from zero (then bias and ReLU for the forward). Equal bit for bit.
template <class In, class Out>
void check_dense_products(In inputs, Out outputs, std::size_t rows, std::size_t threads) {
  const codegen::DenseShape shape{inputs, outputs, codegen::padded(inputs)};
  const std::size_t n_in = inputs, n_out = outputs, stride = shape.stride(), in_stride = shape.padded_inputs();
  std::mt19937 random(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Buffers x(rows * in_stride), kernel(n_in * stride), bias(stride), y(rows * stride), delta(rows * stride),
      transposed(n_out * in_stride), dx(rows * in_stride);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t i = 0; i < n_in; ++i) x.data()[r * in_stride + i] = normal(random);
  for (std::size_t i = 0; i < n_in; ++i)
    for (std::size_t o = 0; o < n_out; ++o) kernel.data()[i * stride + o] = normal(random);
  for (std::size_t o = 0; o < n_out; ++o) bias.data()[o] = normal(random);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t o = 0; o < n_out; ++o) delta.data()[r * stride + o] = normal(random);

  codegen::dense_forward<ReLU>(shape, x.data(), rows, kernel.data(), bias.data(), y.data(), threads);
  codegen::transpose_kernel(shape, kernel.data(), transposed.data(), threads);
  codegen::input_gradient(shape, delta.data(), rows, transposed.data(), [](std::size_t, simd::floats g) { return g; },
                          dx.data(), threads);
  std::size_t forward_differing = 0, gradient_differing = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t o = 0; o < n_out; ++o) {
      float sum = 0.0f;
      for (std::size_t i = 0; i < n_in; ++i)
        sum = testing::target_multiply_add(x.data()[r * in_stride + i], kernel.data()[i * stride + o], sum);
      sum += bias.data()[o];
      forward_differing += y.data()[r * stride + o] != (sum < 0.0f ? 0.0f : sum);
    }
    for (std::size_t i = 0; i < n_in; ++i) {
      float sum = 0.0f;
      for (std::size_t o = 0; o < n_out; ++o)
        sum = testing::target_multiply_add(delta.data()[r * stride + o], kernel.data()[i * stride + o], sum);
      gradient_differing += dx.data()[r * in_stride + i] != sum;
    }
  }
  INFO(n_in << " x " << n_out << " on " << rows << " rows, " << threads << " threads");
  CHECK(forward_differing == 0);
  CHECK(gradient_differing == 0);
}

}  // namespace

// W^T as the input gradient reads it, written over NaNs: every element the definition's, the padding
// of each row zero, for widths that leave a partial block of 16 columns and for any thread count.
TEST_CASE("transpose_kernel packs W^T with zero padding, on any number of threads") {
  for (const auto& [inputs, outputs] : {std::pair<std::size_t, std::size_t>{5408, 128}, {50, 37}, {3, 1}, {400, 20}}) {
    for (const std::size_t threads : {1u, 2u, 3u}) {
      const codegen::DenseShape shape{inputs, outputs, codegen::padded(inputs)};
      const std::size_t stride = shape.stride(), packed_stride = shape.padded_inputs();
      Buffers kernel(inputs * stride), transposed(outputs * packed_stride);
      for (std::size_t i = 0; i < inputs * stride; ++i) kernel.data()[i] = float(i % 1000) - 500.0f;
      std::fill(transposed.data(), transposed.data() + outputs * packed_stride, std::nanf(""));
      codegen::transpose_kernel(shape, kernel.data(), transposed.data(), threads);
      std::size_t wrong = 0;
      for (std::size_t o = 0; o < outputs; ++o)
        for (std::size_t i = 0; i < packed_stride; ++i) {
          const float expected = i < inputs ? kernel.data()[i * stride + o] : 0.0f;
          wrong += !(transposed.data()[o * packed_stride + i] == expected);
        }
      INFO(inputs << " x " << outputs << " on " << threads << " threads");
      CHECK(wrong == 0);
    }
  }
}

// Large kernels with rows 2 KiB apart go through packed strips of B, a block of k at a time, where the
// register tile is AVX2's (codegen/gemm.hpp, packs_b); the others straight from B. Shapes on both
// sides of the switch, several blocks of k and a partial last one, a narrow last strip and a partial
// last row tile, compile-time and run-time extents: on an AVX2 build both paths are checked.
TEST_CASE("dense products, packed in blocks of k or not, are the in-order fused sums bit for bit") {
  using codegen::fixed;
  for (const std::size_t threads : {1, 2}) {
    check_dense_products(fixed<1100>{}, fixed<530>{}, 37, threads);  // forward packed, k in blocks
    check_dense_products(fixed<530>{}, fixed<1100>{}, 37, threads);  // the input gradient's B is the large one
    check_dense_products(fixed<64>{}, fixed<40>{}, 29, threads);     // straight from B
    check_dense_products(std::size_t{1100}, std::size_t{530}, 37, threads);
    check_dense_products(std::size_t{1500}, std::size_t{600}, 13, threads);
    check_dense_products(std::size_t{64}, std::size_t{40}, 29, threads);
  }
}
