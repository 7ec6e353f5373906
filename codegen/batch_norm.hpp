// Batch normalisation in training, as Keras's BatchNormalization: forward with the batch's
// statistics (updating the moving ones), and backward through it. Inference uses batch_norm_rows
// (inference_kernels.inc) with the moving statistics. Both work column vector by column vector on
// the calling thread: the sums over the batch stay in one order, whatever the thread count.
#pragma once

#include <cstddef>
#include <type_traits>

#include "extent.hpp"
#include "simd.hpp"

namespace ctnn::codegen {

using simd::floats;
using simd::lanes;

// input: rows x stride, a layer's outputs. parameters: gamma, beta, moving mean, moving variance,
// rows of `stride` floats. Writes x_hat = (input - mean) / sqrt(variance + epsilon) to `normalized`,
// gamma * x_hat + beta to `output` and 1 / sqrt(variance + epsilon) per column to `inverse_std`
// (what backward needs); the moving statistics become moving * momentum + batch * (1 - momentum),
// with the batch's biased variance as Keras 3 uses it.
template <Extent Stride>
void batch_norm_forward(Stride stride, std::size_t rows, const float* input, float* parameters, float momentum,
                        float epsilon, float* normalized, float* output, float* inverse_std) {
  const std::size_t row_floats = stride;
  const floats count(static_cast<float>(rows)), keep(momentum), take(1.0f - momentum);
  for (std::size_t c = 0; c < row_floats; c += lanes) {
    floats sum(0.0f);
    for (std::size_t r = 0; r < rows; ++r) sum += floats::load_aligned(input + r * row_floats + c);
    const floats mean = sum / count;
    floats squares(0.0f);
    for (std::size_t r = 0; r < rows; ++r) {
      const floats centred = floats::load_aligned(input + r * row_floats + c) - mean;
      squares += centred * centred;
    }
    const floats variance = squares / count;
    const floats inverse = floats(1.0f) / xsimd::sqrt(variance + floats(epsilon));
    inverse.store_aligned(inverse_std + c);
    const floats gamma = floats::load_aligned(parameters + c), beta = floats::load_aligned(parameters + row_floats + c);
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t at = r * row_floats + c;
      const floats x_hat = (floats::load_aligned(input + at) - mean) * inverse;
      x_hat.store_aligned(normalized + at);
      (gamma * x_hat + beta).store_aligned(output + at);
    }
    float* moving_mean = parameters + 2 * row_floats + c;
    float* moving_variance = parameters + 3 * row_floats + c;
    (floats::load_aligned(moving_mean) * keep + mean * take).store_aligned(moving_mean);
    (floats::load_aligned(moving_variance) * keep + variance * take).store_aligned(moving_variance);
  }
}

// In place: `gradient` (rows x stride) holds dL/dy for y = gamma * x_hat + beta on entry, and dL/dx
// for the normalised input x on exit (the batch's mean and variance depend on every row):
//   dL/dx = gamma * inverse_std / rows * (rows * dy - sum(dy) - x_hat * sum(dy * x_hat))
// each vector passed through `epilogue(offset, g)` before it is stored (the backward steps of the
// element-wise layers below, fused: see backward_epilogue.hpp).
// gamma's gradient sum(dy * x_hat) and beta's sum(dy) go to their sinks (see StoreGradient), after
// gamma has been read: a sink may update it.
template <Extent Stride, class Epilogue, class GammaSink, class BetaSink>
void batch_norm_backward(Stride stride, std::size_t rows, const float* normalized, const float* inverse_std,
                         const float* gamma, const Epilogue& epilogue, float* gradient, GammaSink&& gamma_sink,
                         BetaSink&& beta_sink) {
  const std::size_t row_floats = stride;
  const floats count(static_cast<float>(rows));
  for (std::size_t c = 0; c < row_floats; c += lanes) {
    floats sum_dy(0.0f), sum_dy_x_hat(0.0f);
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t at = r * row_floats + c;
      const floats dy = floats::load_aligned(gradient + at);
      sum_dy += dy;
      sum_dy_x_hat += dy * floats::load_aligned(normalized + at);
    }
    const floats scale = floats::load_aligned(gamma + c) * floats::load_aligned(inverse_std + c) / count;
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t at = r * row_floats + c;
      const floats dy = floats::load_aligned(gradient + at);
      const floats dx = scale * (count * dy - sum_dy - floats::load_aligned(normalized + at) * sum_dy_x_hat);
      epilogue(at, dx).store_aligned(gradient + at);
    }
    gamma_sink(c, sum_dy_x_hat);
    beta_sink(c, sum_dy);
  }
}

}  // namespace ctnn::codegen
