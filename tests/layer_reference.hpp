// The layer tests' double-precision reference (tests/test_layer_sequences.cpp,
// tests/test_image_layers.cpp): each layer kind's forward pass written out plainly, the engine's
// gradients against central finite differences of its loss, inference with moving statistics, and
// the Net of the same layers against the engine, bit for bit.
#pragma once

#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>
#include <vector>

#include "plugins/per_feature_scale.hpp"
#include "reference_mlp.hpp"
#include "test_data.hpp"

namespace layer_reference {

using namespace ctnn;

using Values = std::vector<std::vector<double>>;  // rows x features

// The forward pass of one layer in double precision, from the engine's own parameters (params[k]
// is tensor k, unpadded, row-major). In training, BatchNorm uses the batch's statistics and a
// Dropout the mask the step drew (`mask`); in inference, the moving statistics and no dropout.
inline Values reference_layer(const engine::LayerNode& layer, const Shape& input, const std::vector<std::vector<double>>& params,
                       const Values& x, const MatrixView<const float>* mask, bool training = true) {
  const std::size_t rows = x.size(), in = x[0].size();
  auto activate = [](ActivationKind kind, double z) {
    switch (kind) {
      case ActivationKind::relu: return z > 0 ? z : 0.0;
      case ActivationKind::sigmoid: return 1 / (1 + std::exp(-z));
      case ActivationKind::tanh: return std::tanh(z);
      default: return z;
    }
  };
  Values y = x;
  if (const auto* dense = layer.as<layers::Dense>()) {
    for (std::size_t r = 0; r < rows; ++r) {
      y[r].assign(dense->units, 0.0);
      for (std::size_t o = 0; o < dense->units; ++o) {
        double z = params[1][o];
        for (std::size_t i = 0; i < in; ++i) z += x[r][i] * params[0][i * dense->units + o];
        y[r][o] = activate(dense->activation, z);
      }
      if (dense->activation == ActivationKind::softmax) {
        double largest = y[r][0], total = 0;
        for (double v : y[r]) largest = std::max(largest, v);
        for (double& v : y[r]) total += (v = std::exp(v - largest));
        for (double& v : y[r]) v /= total;
      }
    }
  } else if (layer.as<layers::BatchNorm>()) {
    // Per feature of a vector, per channel of feature maps: the statistics over every row and pixel.
    const std::size_t channels = input.features(), positions = in / channels;
    for (std::size_t c = 0; c < channels; ++c) {
      double mean = params[2][c], variance = params[3][c];
      if (training) {
        mean = variance = 0;
        const double count = double(rows * positions);
        for (std::size_t r = 0; r < rows; ++r)
          for (std::size_t p = 0; p < positions; ++p) mean += x[r][p * channels + c] / count;
        for (std::size_t r = 0; r < rows; ++r)
          for (std::size_t p = 0; p < positions; ++p) {
            const double centred = x[r][p * channels + c] - mean;
            variance += centred * centred / count;
          }
      }
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t p = 0; p < positions; ++p) {
          const std::size_t at = p * channels + c;
          y[r][at] = params[0][c] * (x[r][at] - mean) / std::sqrt(variance + double(batch_norm_epsilon)) + params[1][c];
        }
    }
  } else if (const auto* activation = layer.as<layers::Activation>()) {
    for (auto& row : y)
      for (double& v : row) v = activate(activation->activation, v);
  } else if (layer.as<layers::Dropout>()) {
    if (training)
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t c = 0; c < in; ++c) y[r][c] *= (*mask)(r, c);
  } else if (const auto* conv = layer.as<layers::Conv2D>()) {
    // Keras's geometry, written out: "same" gives ceil(in / stride) pixels, the padding's odd
    // extra row or column at the bottom and right.
    const std::size_t h = input.extents[0], w = input.extents[1], channels = input.extents[2], f = conv->filters;
    const std::size_t kh = conv->kernel_height, kw = conv->kernel_width, s = conv->stride;
    const bool same = conv->padding == layers::Padding::same;
    const std::size_t oh = same ? (h + s - 1) / s : (h - kh) / s + 1, ow = same ? (w + s - 1) / s : (w - kw) / s + 1;
    const long top = same ? long(std::max<long>(long((oh - 1) * s + kh) - long(h), 0) / 2) : 0;
    const long left = same ? long(std::max<long>(long((ow - 1) * s + kw) - long(w), 0) / 2) : 0;
    for (std::size_t r = 0; r < rows; ++r) {
      y[r].assign(oh * ow * f, 0.0);
      for (std::size_t i = 0; i < oh; ++i)
        for (std::size_t j = 0; j < ow; ++j)
          for (std::size_t o = 0; o < f; ++o) {
            double z = params[1][o];
            for (std::size_t a = 0; a < kh; ++a)
              for (std::size_t b = 0; b < kw; ++b) {
                const long ih = long(i * s + a) - top, iw = long(j * s + b) - left;
                if (ih < 0 || iw < 0 || ih >= long(h) || iw >= long(w)) continue;
                for (std::size_t c = 0; c < channels; ++c)
                  z += x[r][(std::size_t(ih) * w + std::size_t(iw)) * channels + c] * params[0][((a * kw + b) * channels + c) * f + o];
              }
            y[r][(i * ow + j) * f + o] = activate(conv->activation, z);
          }
    }
  } else if (layer.as<layers::MaxPool2D>() || layer.as<layers::AveragePool2D>() || layer.as<layers::GlobalAveragePool2D>()) {
    const std::size_t h = input.extents[0], w = input.extents[1], channels = input.extents[2];
    std::size_t ph = h, pw = w, s = 1;
    if (const auto* pool = layer.as<layers::MaxPool2D>()) ph = pool->pool_height, pw = pool->pool_width, s = pool->step();
    if (const auto* pool = layer.as<layers::AveragePool2D>()) ph = pool->pool_height, pw = pool->pool_width, s = pool->step();
    const bool max = layer.as<layers::MaxPool2D>() != nullptr;
    const std::size_t oh = (h - ph) / s + 1, ow = (w - pw) / s + 1;
    for (std::size_t r = 0; r < rows; ++r) {
      y[r].assign(oh * ow * channels, 0.0);
      for (std::size_t i = 0; i < oh; ++i)
        for (std::size_t j = 0; j < ow; ++j)
          for (std::size_t c = 0; c < channels; ++c) {
            double value = max ? -1e300 : 0.0;
            for (std::size_t a = 0; a < ph; ++a)
              for (std::size_t b = 0; b < pw; ++b) {
                const double v = x[r][((i * s + a) * w + j * s + b) * channels + c];
                value = max ? std::max(value, v) : value + v / double(ph * pw);
              }
            y[r][(i * ow + j) * channels + c] = value;
          }
    }
  } else if (const auto* rescaling = layer.as<layers::Rescaling>()) {
    for (auto& row : y)
      for (double& v : row) v = v * rescaling->scale + rescaling->offset;
  } else if (layer.as<layers::Flatten>()) {
    // Rows are height x width x channels values in that order already.
  } else if (layer.as<plugin::PerFeatureScale>()) {
    for (auto& row : y)
      for (std::size_t c = 0; c < in; ++c) row[c] *= params[0][c];
  } else {
    FAIL("no reference for " << layer.keras_type());
  }
  return y;
}

struct Reference {
  const engine::Network& network;
  engine::TrainingStep& step;
  std::vector<std::vector<std::vector<double>>> params;  // layer, tensor, values

  explicit Reference(engine::Network& n, engine::TrainingStep& s) : network(n), step(s) {
    for (std::size_t i = 0; i < n.layer_count(); ++i) {
      params.emplace_back();
      for (std::size_t k = 0; k < n.tensors(i).size(); ++k) {
        const MatrixView<const float> t = std::as_const(n).tensor(i, k);
        std::vector<double> values;
        for (std::size_t r = 0; r < t.rows; ++r)
          for (std::size_t c = 0; c < t.cols; ++c) values.push_back(t(r, c));
        params.back().push_back(values);
      }
    }
  }
  // The input of layer `layers` in training (the output of the last layer by default).
  Values forward(Values x, std::size_t rows, std::size_t layers = std::size_t(-1)) const {
    for (std::size_t i = 0; i < std::min(layers, network.layer_count()); ++i) {
      const MatrixView<const float> mask =
          network.layer(i).as<layers::Dropout>()
              ? MatrixView<const float>{step.scratch(i, 0), rows, network.output_shape(i).elements(), network.output_stride(i)}
              : MatrixView<const float>{};
      x = reference_layer(network.layer(i), network.input_shape(i), params[i], x, &mask);
    }
    return x;
  }
  // Sparse categorical cross-entropy, probabilities clipped to [1e-7, 1 - 1e-7] as Keras does.
  double loss(const Values& x, const std::vector<int>& labels) const {
    const Values p = forward(x, x.size());
    double total = 0;
    for (std::size_t r = 0; r < x.size(); ++r) total -= std::log(std::clamp(p[r][labels[r]], 1e-7, 1 - 1e-7));
    return total / double(x.size());
  }
};

inline Values rows_of(const testing::Batch& batch, std::size_t rows, std::size_t features) {
  const std::vector<double> flat = batch.x_double();
  Values x(rows);
  for (std::size_t r = 0; r < rows; ++r) x[r].assign(flat.begin() + long(r * features), flat.begin() + long((r + 1) * features));
  return x;
}

// One training step's gradients of every trainable tensor against central differences of the
// double-precision loss, and the step's loss against the reference's.
inline void check_gradients(engine::Network& network, std::size_t rows, std::uint64_t seed) {
  const testing::Batch batch = testing::random_batch(rows, network.input_size(), network.output_size(), seed);
  engine::TrainingStep step(network, rows);
  step.seed_dropout(seed);
  const auto indices = testing::first_indices(rows);
  step.load_batch(batch.x.data(), batch.labels.data(), indices);
  const BatchResult result = step.compute_gradients(rows);

  Reference reference(network, step);
  const Values x = rows_of(batch, rows, network.input_size());
  const std::vector<int> labels = batch.labels_int();
  CHECK(reference::relative_difference(result.loss(), reference.loss(x, labels)) < 1e-5);
  std::size_t checked = 0;
  for (std::size_t i = 0; i < network.layer_count(); ++i)
    for (std::size_t k = 0; k < network.tensors(i).size(); ++k) {
      const layers::Tensor& t = network.tensors(i)[k];
      if (!t.trainable) continue;
      const MatrixView<const float> gradient = step.tensor_gradient(i, k);
      for (std::size_t e = 0; e < t.elements(); e += 1 + t.elements() / 40) {
        const double expected = reference::central_difference(reference.params[i][k][e],
                                                               [&] { return reference.loss(x, labels); });
        INFO("layer " << i << " (" << network.layer(i).keras_type() << ") " << t.name << " element " << e);
        CHECK(reference::relative_difference(gradient(e / t.columns, e % t.columns), expected) < 2e-3);
        ++checked;
      }
    }
  CHECK(checked > 20);
}

// Inference against the reference with BatchNorm's moving statistics, Dropout passing through; one
// sample alone (the matrix-vector path) as in a batch.
inline void check_inference(engine::Network& network, std::size_t rows, std::uint64_t seed) {
  const testing::Batch batch = testing::random_batch(rows, network.input_size(), network.output_size(), seed);
  std::vector<float> probabilities(rows * network.output_size());
  network.predict(batch.x.data(), rows, probabilities.data());
  engine::TrainingStep unused(network, 1);  // only for Reference's parameter copy
  const Reference reference(network, unused);
  Values expected = rows_of(batch, rows, network.input_size());
  for (std::size_t i = 0; i < network.layer_count(); ++i)
    expected = reference_layer(network.layer(i), network.input_shape(i), reference.params[i], expected, nullptr, false);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < network.output_size(); ++c)
      CHECK(std::abs(probabilities[r * network.output_size() + c] - expected[r][c]) < 1e-5);
  std::vector<float> one(network.output_size());
  network.predict(batch.x.data(), one.data());
  for (std::size_t c = 0; c < one.size(); ++c) CHECK(std::abs(one[c] - probabilities[c]) < 1e-6f);
  CHECK(std::abs(std::accumulate(one.begin(), one.end(), 0.0f) - 1.0f) < 1e-5f);
}

// After one training step, each BatchNorm's moving mean and variance against the reference's
// statistics of that layer's input: moving * momentum + batch * (1 - momentum).
inline void check_moving_statistics(engine::Network& network, std::size_t rows, std::uint64_t seed) {
  std::vector<std::vector<float>> before;
  for (std::size_t i = 0; i < network.layer_count(); ++i)
    for (std::size_t k = 2; k < 4 && network.layer(i).as<layers::BatchNorm>(); ++k) {
      const auto values = std::as_const(network).tensor(i, k).row(0);
      before.emplace_back(values.begin(), values.end());
    }
  REQUIRE(!before.empty());
  const testing::Batch batch = testing::random_batch(rows, network.input_size(), network.output_size(), seed);
  engine::TrainingStep step(network, rows);
  step.seed_dropout(seed);
  step.load_batch(batch.x.data(), batch.labels.data(), testing::first_indices(rows));
  step.compute_gradients(rows);
  const Reference reference(network, step);
  std::size_t next = 0;
  for (std::size_t i = 0; i < network.layer_count(); ++i) {
    const auto* batch_norm = network.layer(i).as<layers::BatchNorm>();
    if (!batch_norm) continue;
    const Values x = reference.forward(rows_of(batch, rows, network.input_size()), rows, i);
    const std::size_t channels = network.input_shape(i).features(), positions = x[0].size() / channels;
    const double count = double(rows * positions), m = batch_norm->momentum;
    const std::vector<float>&old_mean = before[next], &old_variance = before[next + 1];
    next += 2;
    for (std::size_t c = 0; c < channels; ++c) {
      double mean = 0, variance = 0;
      for (const auto& row : x)
        for (std::size_t p = 0; p < positions; ++p) mean += row[p * channels + c] / count;
      for (const auto& row : x)
        for (std::size_t p = 0; p < positions; ++p) variance += std::pow(row[p * channels + c] - mean, 2) / count;
      INFO("layer " << i << " channel " << c);
      CHECK(std::abs(std::as_const(network).tensor(i, 2)(0, c) - (old_mean[c] * m + mean * (1 - m))) < 1e-5);
      CHECK(std::abs(std::as_const(network).tensor(i, 3)(0, c) - (old_variance[c] * m + variance * (1 - m))) < 1e-5);
    }
  }
}

// The Net N, written as a type, against the engine network of the same layers (checked above
// against the reference): both drivers run the same layer kinds through the same protocol, so
// from the same weights they compute the same numbers, bit for bit.
template <NetType N>
void check_net_matches_engine(engine::Network& network, std::size_t rows, std::uint64_t seed) {
  CHECK(N::architecture() == network.architecture());
  CHECK(N::summary() == network.summary());
  CHECK(N::param_count == network.param_count());
  Model<N> model;
  REQUIRE(model.parameters().size() == network.parameters().size());
  std::ranges::copy(network.parameters(), model.parameters().begin());

  const testing::Batch batch = testing::random_batch(rows, N::input_size, N::output_size, seed);
  TrainingStep<N, 16> generated(model);
  engine::TrainingStep generic(network, 16);
  generated.seed_dropout(seed), generic.seed_dropout(seed);
  generated.load_batch(batch.x.data(), batch.labels.data(), testing::first_indices(rows));
  generic.load_batch(batch.x.data(), batch.labels.data(), testing::first_indices(rows));
  const BatchResult a = generated.compute_gradients(rows), b = generic.compute_gradients(rows);
  CHECK(a.loss() == b.loss());
  for (std::size_t i = 0; i < N::layer_count; ++i) {
    INFO("layer " << i);
    const MatrixView<const float> x = generated.output(i, rows), y = generic.output(i, rows);
    for (std::size_t r = 0; r < rows; ++r) CHECK(std::ranges::equal(x.row(r), y.row(r)));
    for (std::size_t k = 0; k < N::tensors[i].size(); ++k) {
      const MatrixView<const float> g = generated.tensor_gradient(i, k), h = generic.tensor_gradient(i, k);
      for (std::size_t r = 0; r < g.rows; ++r) CHECK(std::ranges::equal(g.row(r), h.row(r)));
    }
  }
  std::vector<float> p(rows * N::output_size), q(rows * N::output_size), one(N::output_size), other(N::output_size);
  model.predict(batch.x.data(), rows, p.data());
  network.predict(batch.x.data(), rows, q.data());
  CHECK(p == q);
  model.predict(batch.x.data(), one.data());
  network.predict(batch.x.data(), other.data());
  CHECK(one == other);
}

}  // namespace layer_reference
