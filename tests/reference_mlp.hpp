// A naive scalar multilayer perceptron in double precision: the independent reference the
// generated code is tested against. Nothing here shares code with ctnn's kernels.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <ctnn/ctnn.hpp>
#include <type_traits>
#include <vector>

#include "dense_views.hpp"

namespace reference {

enum class Act { relu, linear, sigmoid, tanh, softmax };

struct Layer {
  std::size_t in = 0, out = 0;
  Act act = Act::relu;
  double l1 = 0.0, l2 = 0.0;
  std::vector<double> w{};  // in x out, row-major
  std::vector<double> b{};
  std::vector<double> mask{};  // dropout: rows x out factors applied to the outputs, or empty
  double activity_l1 = 0.0;  // Keras 3's activity_regularizer=l1(c): c * sum |outputs| over the batch
  bool batch_norm = false;   // Keras's BatchNormalization of the outputs, epsilon 1e-3
  std::vector<double> gamma{}, beta{}, moving_mean{}, moving_variance{};
  double& weight(std::size_t i, std::size_t o) { return w[i * out + o]; }
};

inline double activate(Act act, double z) {
  switch (act) {
    case Act::relu: return z > 0.0 ? z : 0.0;
    case Act::sigmoid: return 1.0 / (1.0 + std::exp(-z));
    case Act::tanh: return std::tanh(z);
    default: return z;
  }
}

struct Mlp {
  std::vector<Layer> layers;

  // Batch normalisation with the batch's own mean and biased variance (training), or with the
  // moving statistics (inference).
  bool batch_statistics = true;

  // The loss: -log p(label) (sparse, or categorical with no smoothing), -sum t log p with the
  // target t smoothed by label_smoothing, or mean((p - onehot)^2) when squared_error.
  double label_smoothing = 0.0;
  bool squared_error = false;

  // Outputs of the last layer for `rows` samples of x (row-major, layers[0].in per row).
  // `activity`, when given, receives the activity regularisers' penalty.
  std::vector<double> forward(const std::vector<double>& x, std::size_t rows, double* activity = nullptr) const {
    std::vector<double> a = x;
    for (const Layer& layer : layers) {
      std::vector<double> z(rows * layer.out);
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t o = 0; o < layer.out; ++o) {
          double sum = layer.b[o];
          for (std::size_t i = 0; i < layer.in; ++i) sum += a[r * layer.in + i] * layer.w[i * layer.out + o];
          z[r * layer.out + o] = activate(layer.act, sum);
          if (activity && layer.act != Act::softmax) *activity += layer.activity_l1 * std::abs(z[r * layer.out + o]);
        }
      if (layer.batch_norm) normalize(layer, z, rows);
      if (!layer.mask.empty())
        for (std::size_t k = 0; k < rows * layer.out; ++k) z[k] *= layer.mask[k];
      if (layer.act == Act::softmax)
        for (std::size_t r = 0; r < rows; ++r) {
          double largest = z[r * layer.out];
          for (std::size_t o = 0; o < layer.out; ++o) largest = std::max(largest, z[r * layer.out + o]);
          double total = 0.0;
          for (std::size_t o = 0; o < layer.out; ++o) total += std::exp(z[r * layer.out + o] - largest);
          for (std::size_t o = 0; o < layer.out; ++o) z[r * layer.out + o] = std::exp(z[r * layer.out + o] - largest) / total;
          if (activity) *activity += layer.activity_l1;  // probabilities are positive and sum to 1
        }
      a = std::move(z);
    }
    return a;
  }

  void normalize(const Layer& layer, std::vector<double>& z, std::size_t rows) const {
    for (std::size_t o = 0; o < layer.out; ++o) {
      double mean = layer.moving_mean[o], variance = layer.moving_variance[o];
      if (batch_statistics) {
        mean = 0.0, variance = 0.0;
        for (std::size_t r = 0; r < rows; ++r) mean += z[r * layer.out + o] / double(rows);
        for (std::size_t r = 0; r < rows; ++r) variance += std::pow(z[r * layer.out + o] - mean, 2) / double(rows);
      }
      for (std::size_t r = 0; r < rows; ++r) {
        double& value = z[r * layer.out + o];
        value = layer.gamma[o] * (value - mean) / std::sqrt(variance + 1e-3) + layer.beta[o];
      }
    }
  }

  double penalty() const {
    double total = 0.0;
    for (const Layer& layer : layers)
      for (double w : layer.w) total += layer.l1 * std::abs(w) + layer.l2 * w * w;
    return total;
  }

  // The mean loss plus the regularisation penalty.
  double loss(const std::vector<double>& x, const std::vector<int>& labels) const {
    const std::size_t rows = labels.size();
    double activity = 0.0;
    const std::vector<double> p = forward(x, rows, &activity);
    const std::size_t classes = layers.back().out;
    double total = 0.0;
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t c = 0; c < classes; ++c) {
        const double one_hot = c == std::size_t(labels[r]) ? 1.0 : 0.0;
        const double probability = p[r * classes + c];
        if (squared_error) {
          total += (probability - one_hot) * (probability - one_hot) / double(classes);
        } else {
          const double target = one_hot * (1.0 - label_smoothing) + label_smoothing / double(classes);
          if (target != 0.0) total -= target * std::log(probability);
        }
      }
    return total / double(rows) + penalty() + activity;
  }
};

inline Act act_of(ctnn::ActivationKind kind) {
  switch (kind) {
    case ctnn::ActivationKind::relu: return Act::relu;
    case ctnn::ActivationKind::linear: return Act::linear;
    case ctnn::ActivationKind::sigmoid: return Act::sigmoid;
    case ctnn::ActivationKind::tanh: return Act::tanh;
    case ctnn::ActivationKind::softmax: break;
  }
  return Act::softmax;
}

// The reference twin of a model of Dense layers, each with an optional BatchNorm after it: same
// architecture, same weights.
template <class N>
Mlp from_model(const ctnn::Model<N>& model) {
  Mlp mlp;
  for (std::size_t l = 0; l < testing::depth(model); ++l) {
    const ctnn::layers::Dense& dense = *N::template layer_as<ctnn::layers::Dense>(testing::dense_layers(model)[l]);
    const auto kernel = testing::kernel(model, l);
    Layer layer{.in = kernel.rows,
                .out = kernel.cols,
                .act = act_of(dense.activation),
                .l1 = dense.regularizer.l1,
                .l2 = dense.regularizer.l2,
                .w = std::vector<double>(kernel.rows * kernel.cols),
                .b = std::vector<double>(kernel.cols)};
    for (std::size_t i = 0; i < kernel.rows; ++i)
      for (std::size_t o = 0; o < kernel.cols; ++o) layer.weight(i, o) = kernel(i, o);
    for (std::size_t o = 0; o < kernel.cols; ++o) layer.b[o] = testing::bias(model, l)[o];
    layer.activity_l1 = dense.activity_l1;
    if (const auto norm = testing::batch_norm(model, l)) {
      layer.batch_norm = true;
      layer.gamma.assign(norm.gamma().begin(), norm.gamma().end());
      layer.beta.assign(norm.beta().begin(), norm.beta().end());
      layer.moving_mean.assign(norm.moving_mean().begin(), norm.moving_mean().end());
      layer.moving_variance.assign(norm.moving_variance().begin(), norm.moving_variance().end());
    }
    mlp.layers.push_back(std::move(layer));
  }
  return mlp;
}

// Relative difference with a floor, so that values near zero are compared absolutely.
inline double relative_difference(double a, double b, double floor = 1e-3) {
  return std::abs(a - b) / std::max({std::abs(a), std::abs(b), floor});
}

// The central difference (loss(p + h) - loss(p - h)) / 2h of `loss()` in `parameter`, which it
// changes and restores.
template <class Loss>
double central_difference(double& parameter, const Loss& loss, double h = 1e-6) {
  const double saved = parameter;
  parameter = saved + h;
  const double up = loss();
  parameter = saved - h;
  const double down = loss();
  parameter = saved;
  return (up - down) / (2 * h);
}

}  // namespace reference
