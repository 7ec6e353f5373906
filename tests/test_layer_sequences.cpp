// Both backends on layer sequences that only the layer protocol can express: Dense(linear) ->
// BatchNorm -> Activation(relu), Dropout on the inputs, and a layer kind defined outside ctnn
// (tests/plugins/per_feature_scale.hpp). The engine's forward passes against a double-precision
// reference written here, its gradients against central finite differences of that reference; the
// Net of the same layers against the engine, bit for bit.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include <cmath>
#include <vector>

#include "plugins/per_feature_scale.hpp"
#include "reference_mlp.hpp"
#include "temp_dir.hpp"
#include "test_data.hpp"

using namespace ctnn;

namespace {

using Values = std::vector<std::vector<double>>;  // rows x features

// The forward pass of one layer in double precision, from the engine's own parameters (params[k]
// is tensor k, unpadded, row-major). In training, BatchNorm uses the batch's statistics and a
// Dropout the mask the step drew (`mask`); in inference, the moving statistics and no dropout.
Values reference_layer(const engine::LayerNode& layer, const Shape& input, const std::vector<std::vector<double>>& params,
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

Values rows_of(const testing::Batch& batch, std::size_t rows, std::size_t features) {
  const std::vector<double> flat = batch.x_double();
  Values x(rows);
  for (std::size_t r = 0; r < rows; ++r) x[r].assign(flat.begin() + long(r * features), flat.begin() + long((r + 1) * features));
  return x;
}

// One training step's gradients of every trainable tensor against central differences of the
// double-precision loss, and the step's loss against the reference's.
void check_gradients(engine::Network& network, std::size_t rows, std::uint64_t seed) {
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
void check_inference(engine::Network& network, std::size_t rows, std::uint64_t seed) {
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
void check_moving_statistics(engine::Network& network, std::size_t rows, std::uint64_t seed) {
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

}  // namespace

TEST_CASE("Dense(linear) -> BatchNorm -> Activation(relu) trains on the engine, checked by finite differences") {
  engine::Network network{Shape(7),
                          {layers::Dense{.units = 11, .activation = ActivationKind::linear},
                           layers::BatchNorm{}, layers::Activation{ActivationKind::relu},
                           layers::Dense{.units = 5, .activation = ActivationKind::tanh}, layers::BatchNorm{.momentum = 0.9f},
                           layers::Activation{ActivationKind::sigmoid},
                           layers::Dense{.units = 3, .activation = ActivationKind::softmax}},
                          Seed{3}};
  // Away from gamma 1, beta 0.
  Rng rng(9, 0);
  for (std::size_t i : {1u, 4u})
    for (std::size_t k : {0u, 1u})
      for (float& v : network.tensor(i, k).row(0)) v = float(0.5 + rng.uniform());
  check_gradients(network, 9, 11);
  check_inference(network, 9, 12);
  check_net_matches_engine<Net<Dense<7, 11, Linear>, BatchNorm<>, Activation<ReLU>, Dense<11, 5, Tanh>, BatchNorm<0.9>,
                               Activation<Sigmoid>, Softmax<3>>>(network, 9, 13);
  CHECK(network.describe() == "7-11:linear-batchnorm-relu-5:tanh-batchnorm=0.9-sigmoid-3:softmax");
  CHECK(network.architecture() == "7-11:linear:batchnorm-relu-5:tanh:batchnorm-sigmoid-3:softmax");
}

TEST_CASE("an image input, Flatten and a Dense layer that infers its input size train on both backends") {
  using N = Net<Input<3, 4, 2>, Dropout<0.25>, Flatten, Dense<inferred, 6, Tanh>, BatchNorm<>, Softmax<3>>;
  STATIC_REQUIRE(N::input_shape == Shape(3, 4, 2));
  STATIC_REQUIRE(N::input_size == 24);
  STATIC_REQUIRE(N::output_shapes[0] == Shape(3, 4, 2));
  STATIC_REQUIRE(N::output_shapes[1] == Shape(24));
  STATIC_REQUIRE(N::param_count == 24 * 6 + 6 + 4 * 6 + 6 * 3 + 3);
  // A stated input size is allowed where it is right.
  STATIC_REQUIRE(Net<Input<3, 4, 2>, Flatten, Dense<24, 6, Tanh>, Softmax<3>>::param_count == 24 * 6 + 6 + 6 * 3 + 3);
  CHECK(N::describe() == "Net<Input<3, 4, 2>, Dropout<0.25>, Flatten, Dense<inferred, 6, Tanh>, BatchNorm<>, Softmax<3>>");
  CHECK(N::spec() == "3x4x2-dropout=0.25-flatten-6:tanh-batchnorm-3:softmax");
  CHECK(N::architecture() == "3x4x2-flatten-6:tanh:batchnorm-3:softmax");
  CHECK_THAT(N::summary(), Catch::Contains(" dropout (Dropout)           (None, 3, 4, 2)           0\n"));
  CHECK_THAT(N::summary(), Catch::Contains(" flatten (Flatten)           (None, 24)                0\n"));

  engine::Network network{N::spec(), Seed{4}};
  CHECK(network.summary() == N::summary());
  Rng rng(6, 0);
  for (std::size_t k : {0u, 1u})
    for (float& v : network.tensor(4, k).row(0)) v = float(0.5 + rng.uniform());
  check_gradients(network, 8, 41);
  check_inference(network, 8, 42);
  check_net_matches_engine<N>(network, 8, 43);
}

TEST_CASE("convolutions (same and valid, 1x1 to 5x5, stride 2), pooling and rescaling train on both backends") {
  // 5x7 images of 3 channels; 17 filters, not a whole number of vectors; a 3x2 kernel, whose "same"
  // padding has an odd width (Keras puts the extra column on the right).
  using Small = Net<Input<5, 7, 3>, Rescaling<0.5, 0.1>, Conv2D<17, 3, 2, Tanh, Same>, MaxPool2D<2>,
                    Conv2D<5, 1, 1, Sigmoid>, Dropout<0.2>, Flatten, Softmax<3>>;
  STATIC_REQUIRE(Small::output_shapes[1] == Shape(5, 7, 17));
  STATIC_REQUIRE(Small::output_shapes[2] == Shape(2, 3, 17));
  STATIC_REQUIRE(Small::output_shapes[3] == Shape(2, 3, 5));
  STATIC_REQUIRE(Small::param_count == (3 * 2 * 3 * 17 + 17) + (17 * 5 + 5) + (30 * 3 + 3));
  CHECK(Small::spec() == "5x7x3-rescale=0.5,0.1-conv=17x3x2:tanh:same-maxpool=2-conv=5x1x1:sigmoid:valid-dropout=0.2-flatten-3:softmax");
  engine::Network small{Small::spec(), Seed{8}};
  check_gradients(small, 6, 51);
  check_inference(small, 6, 52);
  check_net_matches_engine<Small>(small, 6, 53);

  // A 5x5 kernel (valid), a strided "same" convolution, average and global average pooling.
  using Strided = Net<Input<7, 9, 2>, Conv2D<3, 5, 5, Tanh>, Conv2D<6, 3, 3, Tanh, Same, Strides<2>>, AveragePool2D<2, 1>,
                      GlobalAveragePool2D, Softmax<3>>;
  STATIC_REQUIRE(Strided::output_shapes[0] == Shape(3, 5, 3));
  STATIC_REQUIRE(Strided::output_shapes[1] == Shape(2, 3, 6));
  STATIC_REQUIRE(Strided::output_shapes[2] == Shape(1, 2, 6));
  STATIC_REQUIRE(Strided::output_shapes[3] == Shape(6));
  engine::Network strided{Strided::spec(), Seed{9}};
  CHECK(strided.describe() == Strided::spec());
  check_gradients(strided, 5, 61);
  check_inference(strided, 5, 62);
  check_net_matches_engine<Strided>(strided, 5, 63);

  // Channel and filter counts that are whole vectors (dZ read in place, the im2col packed a pixel's
  // channels at a time), a max pool whose windows tile the image (its gradient takes the ReLU
  // derivative below on the way), dropout under a stride-1 convolution's input gradient, and a max
  // pool with overlapping windows.
  using Whole = Net<Input<8, 6, 16>, Conv2D<16, 3, 3, ReLU, Same>, MaxPool2D<2>, Dropout<0.3>, Conv2D<32, 3, 3, Tanh, Same>,
                    MaxPool2D<3, 1>, Flatten, Softmax<3>>;
  STATIC_REQUIRE(Whole::output_shapes[4] == Shape(2, 1, 32));
  engine::Network whole{Whole::spec(), Seed{10}};
  check_gradients(whole, 4, 64);
  check_inference(whole, 4, 65);
  check_net_matches_engine<Whole>(whole, 4, 66);
}

TEST_CASE("BatchNorm on feature maps normalises each channel over the batch and the pixels, on both backends") {
  // A whole vector of channels (the vectorised kernels) and 3 channels (one float at a time), after
  // a "same" convolution and before its pooling, as Keras's CNNs place it.
  using N = Net<Input<6, 5, 2>, Conv2D<simd::lanes, 3, 3, Tanh, Same>, BatchNorm<>, MaxPool2D<2>, Dropout<0.25>,
                Conv2D<3, 1, 1, Tanh>, BatchNorm<0.9>, Flatten, Dense<inferred, 4, Tanh>, BatchNorm<>, Softmax<3>>;
  STATIC_REQUIRE(N::output_shapes[1] == Shape(6, 5, simd::lanes));
  STATIC_REQUIRE(N::param_count == (18 * simd::lanes + simd::lanes) + 4 * simd::lanes + (simd::lanes * 3 + 3) + 4 * 3 +
                                       (18 * 4 + 4) + 4 * 4 + (4 * 3 + 3));
  CHECK(N::spec() == "6x5x2-conv=" + std::to_string(simd::lanes) +
                         "x3x3:tanh:same-batchnorm-maxpool=2-dropout=0.25-conv=3x1x1:tanh:valid-batchnorm=0.9-flatten-"
                         "4:tanh-batchnorm-3:softmax");
  engine::Network network{N::spec(), Seed{12}};
  CHECK(network.summary() == N::summary());
  // Away from Keras's initial gamma 1, beta 0, moving mean 0 and moving variance 1.
  Rng rng(13, 0);
  for (std::size_t i : {1u, 5u, 8u})
    for (std::size_t k = 0; k < 4; ++k)
      for (float& v : network.tensor(i, k).row(0)) v = float(k == 2 ? rng.uniform() - 0.5 : 0.5 + rng.uniform());
  check_gradients(network, 7, 71);
  check_inference(network, 7, 72);
  check_moving_statistics(network, 7, 73);
  check_net_matches_engine<N>(network, 7, 74);
}

TEST_CASE("a convolution's kernel is Keras's (height, width, in, out) tensor in files") {
  using Cnn = Net<Input<6, 6, 2>, Conv2D<4, 3, 2, ReLU>, Flatten, Softmax<2>>;
  testing::TempDir dir;
  const Model<Cnn> model{Seed{3}};
  io::save_npz(model, dir / "cnn.npz");
  const auto arrays = io::read_npz(dir / "cnn.npz");
  CHECK(arrays.at("conv2d/kernel").shape == std::vector<std::size_t>{3, 2, 2, 4});
  CHECK(arrays.at("conv2d/bias").shape == std::vector<std::size_t>{4});
  // Keras's kernel[a][b][c][f] is row (a * 2 + b) * 2 + c, column f.
  CHECK(arrays.at("conv2d/kernel").values[((2 * 2 + 1) * 2 + 1) * 4 + 3] == model.weight("conv2d/kernel")((2 * 2 + 1) * 2 + 1, 3));
  io::save(model, dir / "cnn.ctnn");
  engine::Network network = io::load_network(dir / "cnn.ctnn");
  CHECK(std::ranges::equal(network.parameters(), model.parameters()));
  // Glorot uniform with Keras's fans for a convolution: fan in 3 * 2 * 2, fan out 3 * 2 * 4.
  const float limit = std::sqrt(6.0f / float(12 + 24));
  float largest = 0.0f;
  for (const float v : arrays.at("conv2d/kernel").values) largest = std::max(largest, std::abs(v));
  CHECK(largest <= limit);
  CHECK(largest > 0.7f * limit);
}

TEST_CASE("Dropout on the inputs and between layers trains on the engine, checked by finite differences") {
  engine::Network network{Shape(13),
                          {layers::Dropout{.rate = 0.2f}, layers::Dense{.units = 9, .activation = ActivationKind::relu},
                           layers::Dropout{.rate = 0.5f}, layers::Dense{.units = 4, .activation = ActivationKind::softmax}},
                          Seed{5}};
  check_gradients(network, 10, 21);
  check_inference(network, 10, 22);
  check_net_matches_engine<Net<Dropout<0.2>, Dense<13, 9, ReLU>, Dropout<0.5>, Softmax<4>>>(network, 10, 23);
  // The inputs' mask drops about a fifth of them.
  const testing::Batch batch = testing::random_batch(200, 13, 4, 1);
  engine::TrainingStep step(network, 200);
  step.seed_dropout(1);
  step.load_batch(batch.x.data(), batch.labels.data(), testing::first_indices(200));
  step.compute_gradients(200);
  std::size_t dropped = 0;
  for (std::size_t r = 0; r < 200; ++r)
    for (std::size_t c = 0; c < 13; ++c) dropped += step.scratch(0, 0)[r * network.output_stride(0) + c] == 0.0f;
  CHECK(dropped > 200 * 13 / 5 - 100);
  CHECK(dropped < 200 * 13 / 5 + 100);
}

TEST_CASE("a layer kind defined outside ctnn trains on the engine through the protocol") {
  engine::Network network{Shape(6),
                          {plugin::PerFeatureScale{}, layers::Dense{.units = 8, .activation = ActivationKind::tanh},
                           plugin::PerFeatureScale{}, layers::Dense{.units = 3, .activation = ActivationKind::softmax}},
                          Seed{7}};
  Rng rng(4, 0);
  for (std::size_t i : {0u, 2u})
    for (float& v : network.tensor(i, 0).row(0)) v = float(0.5 + rng.uniform());
  check_gradients(network, 7, 31);
  check_inference(network, 7, 32);
  check_net_matches_engine<Net<Layer<plugin::PerFeatureScale{}>, Dense<6, 8, Tanh>, Layer<plugin::PerFeatureScale{}>, Softmax<3>>>(
      network, 7, 33);
  CHECK(network.param_count() == 6 + (6 * 8 + 8) + 8 + (8 * 3 + 3));
  const std::string summary = network.summary();
  // Keras's names from the type, the label wrapped at the column's width as Keras 2 prints it.
  CHECK_THAT(summary, Catch::Contains(" per_feature_scale (PerFeatu (None, 6)                 6\n reScale)\n"));
  CHECK_THAT(summary, Catch::Contains(" per_feature_scale_1 (PerFea (None, 8)                 8\n"));
  CHECK_THAT(summary, Catch::Contains("Total params: 97 "));
  CHECK(network.describe() == "6-scale-8:tanh-scale-3:softmax");
}

TEST_CASE("a layer kind defined outside ctnn goes through model files and .npz archives on both backends") {
  using N = Net<Layer<plugin::PerFeatureScale{}>, Dense<6, 8, Tanh>, Layer<plugin::PerFeatureScale{}>, Softmax<3>>;
  testing::TempDir dir;
  Model<N> model{Seed{21}};
  Rng rng(5, 0);
  for (std::size_t i : {0u, 2u})
    for (float& v : model.tensor(i, 0).row(0)) v = float(0.5 + rng.uniform());
  io::save(model, dir / "scaled.ctnn");
  io::save_npz(model, dir / "scaled.npz");

  // The file names the plugin's weights as Keras would, and records its token in the architecture.
  const io::ModelFile file = io::read_model_file(dir / "scaled.ctnn");
  CHECK(file.architecture == "6-scale-8:tanh-scale-3:softmax");
  REQUIRE(file.tensors.size() == 6);
  CHECK(file.tensors[0].name == "per_feature_scale/scale");
  CHECK(file.tensors[0].shape == std::vector<std::size_t>{6});
  CHECK(file.tensors[3].name == "per_feature_scale_1/scale");
  CHECK(io::read_npz(dir / "scaled.npz").at("per_feature_scale_1/scale").values ==
        std::vector<float>(model.weight("per_feature_scale_1/scale").row(0).begin(), model.weight("per_feature_scale_1/scale").row(0).end()));

  // Once its word is registered, the engine builds the network from the file alone.
  engine::register_layer("scale", [](std::string_view) { return plugin::PerFeatureScale{}; });
  engine::Network network = io::load_network(dir / "scaled.ctnn");
  CHECK(std::ranges::equal(network.parameters(), model.parameters()));
  // A kind that does not say how to export itself stops the export with its name and position.
  CHECK_THROWS_WITH(io::exported_header(file, "scaled"),
                    "export_header: 6-scale-8:tanh-scale-3:softmax: layer 0: a PerFeatureScale layer cannot be exported: its "
                    "kind has no exported_inference (see layers/protocol.hpp)");
  engine::Network from_npz{N::spec(), Seed{1}};
  io::load_npz(from_npz, dir / "scaled.npz");
  CHECK(std::ranges::equal(from_npz.parameters(), model.parameters()));
  Model<N> back{Seed{2}};
  io::save(network, dir / "engine.ctnn");
  io::load_into(back, dir / "engine.ctnn");
  CHECK(std::ranges::equal(back.parameters(), model.parameters()));
}

TEST_CASE("a Net starts from the weights the engine draws for the same layers and seed") {
  using N = Net<Dropout<0.1>, Dense<5, 4, Tanh, L2<0.01>, HeNormal>, BatchNorm<>, Dense<4, 3, Linear, RandomNormal<0.5, 2>>,
                Softmax<2>>;
  const engine::Network network{Shape(5),
                                {layers::Dropout{.rate = 0.1f}, std::get<1>(N::kinds), layers::BatchNorm{},
                                 std::get<3>(N::kinds), std::get<4>(N::kinds)},
                                Seed{17}};
  const Model<N> model{Seed{17}};
  CHECK(std::ranges::equal(model.parameters(), network.parameters()));
  CHECK(model.regularization_penalty() == network.regularization_penalty());
  CHECK(model.regularization_penalty() > 0.0);
}

TEST_CASE("the engine names the layer, its position and the shapes when a layer cannot read its input") {
  CHECK_THROWS_WITH((engine::Network{Shape(28, 28, 1), {layers::Dense{.units = 10, .activation = ActivationKind::softmax}}}),
                    "engine::Network: layer 0 (Dense) reading the input, 28x28x1: Dense reads a vector of features, "
                    "not a 28x28x1 image; put Flatten before it");
  CHECK_THROWS_WITH((engine::Network{Shape(4), {layers::Dropout{.rate = 1.5f}, layers::Dense{.units = 2, .activation = ActivationKind::softmax}}}),
                    Catch::Contains("layer 0 (Dropout)") && Catch::Contains("[0, 1)"));
  CHECK_THROWS_WITH((engine::Network{Shape(4), {layers::Dense{.units = 2, .activation = ActivationKind::softmax},
                                                layers::Dense{.units = 2, .activation = ActivationKind::softmax}}}),
                    Catch::Contains("softmax is only allowed on the output layer"));
}
