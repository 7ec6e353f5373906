// The losses' arithmetic on a softmax output layer: each sample's loss, and the loss gradient with
// respect to the output layer's pre-activations (dL/dz) that starts the backward pass.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <variant>

#include "../dsl/losses.hpp"
#include "extent.hpp"
#include "simd.hpp"

namespace ctnn::codegen {

using simd::floats;
using simd::lanes;

struct LossSums {
  double loss = 0.0;        // sum over the batch of each sample's loss
  std::size_t correct = 0;  // samples whose most probable class is the label
};

// -log p of the label's class for each of `rows` rows (row_floats apart), p clipped to [1e-7, 1 - 1e-7]
// as Keras does, so that a confident mistake costs at most -log(1e-7) instead of infinity. A vector
// of rows at a time with xsimd's log of doubles (a libm call per row before: 9k of the micro network's
// ~71k instructions a step), compiled once in the library (loss_kernels.cpp) rather than inlined into
// every network's training step.
void label_cross_entropies(const float* probabilities, std::size_t row_floats, const std::int32_t* labels, std::size_t rows,
                           double* losses);

// -log p of one class, p clipped: the same logarithm, so that a sample's loss has the same bits
// whichever path computes it (a training step, evaluate, label smoothing).
double cross_entropy(float probability);

// Whether the most probable of n classes (the first, on ties) is the label: max_element's
// comparisons, as selects rather than branches that a batch's rows would mispredict.
template <Extent N>
bool predicts(const float* probabilities, N n, std::size_t label) {
  std::size_t best = 0;
  for (std::size_t c = 1; c < std::size_t(n); ++c) best = probabilities[best] < probabilities[c] ? c : best;
  return best == label;
}

namespace detail {

// The smoothed one-hot target of class c.
inline double smoothed_target(std::size_t c, std::size_t label, double smoothing, std::size_t classes) {
  return (c == label ? 1.0 - smoothing : 0.0) + smoothing / double(classes);
}

inline double categorical_loss(const float* p, std::size_t classes, std::size_t label, double smoothing) {
  if (smoothing == 0.0) return cross_entropy(p[label]);
  double loss = 0.0;
  for (std::size_t c = 0; c < classes; ++c) loss += smoothed_target(c, label, smoothing, classes) * cross_entropy(p[c]);
  return loss;
}

inline double squared_error_loss(const float* p, std::size_t classes, std::size_t label) {
  double sum = 0.0;
  for (std::size_t c = 0; c < classes; ++c) {
    const double error = double(p[c]) - (c == label ? 1.0 : 0.0);
    sum += error * error;
  }
  return sum / double(classes);
}

}  // namespace detail

// One sample's loss, from its probabilities over `classes` classes and its label.
inline double sample_loss(const Loss& loss, const float* probabilities, std::size_t classes, std::size_t label) {
  if (const auto* categorical = std::get_if<CategoricalCrossentropy>(&loss))
    return detail::categorical_loss(probabilities, classes, label, categorical->label_smoothing);
  if (std::holds_alternative<MeanSquaredError>(loss)) return detail::squared_error_loss(probabilities, classes, label);
  return cross_entropy(probabilities[label]);
}

// The batch's loss sums, and dL/dz of the batch mean of the loss in `delta` (padding columns zero).
// Cross-entropy through softmax fuses to dZ = (p - target) / rows, the target summing to one;
// squared error goes through softmax's Jacobian: dz_j = p_j (g_j - sum_k g_k p_k) / rows,
// g = dL/dp = 2 (p - onehot) / classes.
template <Extent N, Extent Stride>
LossSums loss_delta(const Loss& loss, N classes, Stride stride, const float* probabilities, const std::int32_t* labels,
                    std::size_t rows, float* delta) {
  const std::size_t row_floats = stride, n = classes;
  const auto* categorical = std::get_if<CategoricalCrossentropy>(&loss);
  const double smoothing = categorical ? categorical->label_smoothing : 0.0;
  const bool squared_error = std::holds_alternative<MeanSquaredError>(loss);
  const floats inverse_rows(1.0f / float(rows));
  LossSums sums;
  if (!squared_error && smoothing == 0.0) {  // the losses users train with, without a dispatch per row
    const float label_weight = float(1.0 / double(rows));
    constexpr std::size_t chunk = 64;  // rows whose losses are taken at once
    double losses[chunk];
    for (std::size_t first = 0; first < rows; first += chunk) {
      const std::size_t count = std::min(chunk, rows - first);
      label_cross_entropies(probabilities + first * row_floats, row_floats, labels + first, count, losses);
      for (std::size_t i = 0; i < count; ++i) {
        const std::size_t r = first + i;
        const float* p = probabilities + r * row_floats;
        float* d = delta + r * row_floats;
        const auto label = static_cast<std::size_t>(labels[r]);
        sums.loss += losses[i];  // in row order, as the batch's sum always was
        sums.correct += predicts(p, classes, label);
        CTNN_UNROLL for (std::size_t c = 0; c < row_floats; c += lanes)
          (floats::load_aligned(p + c) * inverse_rows).store_aligned(d + c);
        d[label] -= label_weight;
      }
    }
    return sums;
  }
  for (std::size_t r = 0; r < rows; ++r) {
    const float* p = probabilities + r * row_floats;
    float* d = delta + r * row_floats;
    const auto label = static_cast<std::size_t>(labels[r]);
    sums.loss += sample_loss(loss, p, n, label);
    sums.correct += predicts(p, classes, label);
    if (squared_error) {
      double weighted = 0.0;  // sum_k g_k p_k
      for (std::size_t c = 0; c < n; ++c) weighted += 2.0 * (double(p[c]) - (c == label)) / double(n) * double(p[c]);
      for (std::size_t c = 0; c < n; ++c) {
        const double g = 2.0 * (double(p[c]) - (c == label)) / double(n);
        d[c] = float(double(p[c]) * (g - weighted) / double(rows));
      }
      std::fill(d + n, d + row_floats, 0.0f);
      continue;
    }
    CTNN_UNROLL for (std::size_t c = 0; c < row_floats; c += lanes)
      (floats::load_aligned(p + c) * inverse_rows).store_aligned(d + c);
    if (smoothing > 0.0)
      for (std::size_t c = 0; c < n; ++c) d[c] -= float(smoothing / double(n) / double(rows));
    d[label] -= float((1.0 - smoothing) / double(rows));
  }
  return sums;
}

}  // namespace ctnn::codegen
