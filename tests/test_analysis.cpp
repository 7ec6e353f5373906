// Analysis hooks: every layer's outputs, activation gradients with respect to the input (against
// finite differences, for vectors and feature maps of every layer kind), mean activations per
// class, weights as matrices; both backends.
#include <catch2/catch.hpp>
#include <cmath>
#include <ctnn/ctnn.hpp>

#include "reference_mlp.hpp"
#include "temp_dir.hpp"
#include "test_data.hpp"

using namespace ctnn;
using Catch::Matchers::Contains;

namespace {

using Analysed = Net<Dense<12, 9, Tanh>, Dropout<0.5>, Dense<9, 7, Sigmoid>, Dense<7, 6, ReLU>, Softmax<4>>;
// The dense layers' positions in Analysed, and how many dense layers a prefix up to each holds.
constexpr std::size_t dense_layer[] = {0, 2, 3, 4};
// 6x5x2 -> 6x5x3 -> 3x2x3 -> 2x1x4 -> 4 -> 5 -> 3: every image layer kind, odd sizes.
using AnalysedCnn = Net<Input<6, 5, 2>, Rescaling<0.5>, Conv2D<3, 3, 3, Tanh, Same>, BatchNorm<>, MaxPool2D<2>,
                        Conv2D<4, 2, 2, Linear>, Activation<Sigmoid>, AveragePool2D<1>, GlobalAveragePool2D,
                        Dense<inferred, 5, Tanh>, Softmax<3>>;

}  // namespace

TEST_CASE("layer_outputs gives every layer's inference outputs, as the reference computes them") {
  Model<Analysed> model{Seed{2}};
  const testing::Batch batch = testing::random_batch(300, 12, 4, 3);  // more than one chunk of 128
  const std::vector<Matrix> outputs = layer_outputs(model, batch.x, 300);
  REQUIRE(outputs.size() == 5);
  reference::Mlp mlp = reference::from_model(model);
  const std::vector<double> x = batch.x_double();
  double worst = 0.0;
  for (std::size_t l = 0; l < 4; ++l) {
    reference::Mlp prefix{{mlp.layers.begin(), mlp.layers.begin() + long(l) + 1}};
    const std::vector<double> expected = prefix.forward(x, 300);
    const Matrix& got = outputs[dense_layer[l]];
    REQUIRE(got.rows == 300);
    REQUIRE(got.cols == Analysed::output_shapes[dense_layer[l]].elements());
    for (std::size_t i = 0; i < expected.size(); ++i) worst = std::max(worst, std::abs(double(got.values[i]) - expected[i]));
  }
  CHECK(worst < 1e-5);
  CHECK(outputs[1].values == outputs[0].values);  // Dropout: the identity in inference
  // The last layer's outputs are the predictions; the engine gives the same outputs.
  std::vector<float> p(300 * 4);
  model.predict(batch.x.data(), 300, p.data());
  CHECK(outputs[4].values == p);
  const engine::Network twin{Analysed::spec(), Seed{2}};
  const std::vector<Matrix> twin_outputs = layer_outputs(twin, batch.x, 300);
  for (std::size_t l = 0; l < 5; ++l) CHECK(twin_outputs[l].values == outputs[l].values);
  CHECK_THROWS_WITH(layer_outputs(model, std::span(batch.x).first(100), 10), Contains("100 values are not 10 samples of 12"));
}

TEST_CASE("activation_gradient is the gradient of a unit's mean activation, by finite differences") {
  Model<Analysed> model{Seed{4}};
  const testing::Batch batch = testing::random_batch(3, 12, 4, 5);
  struct Case {
    std::size_t layer, dense_layers, unit;  // dense_layers: how many dense layers the prefix up to `layer` holds
  };
  // Layers 0, 1 (the Dropout after layer 0), 2, 3 and 4.
  for (const auto& [layer, dense_count, unit] : {Case{0, 1, 3}, Case{1, 1, 5}, Case{2, 2, 6}, Case{3, 3, 2}, Case{4, 4, 2}}) {
    const Matrix gradient = activation_gradient(model, batch.x, 3, layer, unit);
    // Central differences of the mean activation in double, on the reference.
    reference::Mlp mlp = reference::from_model(model);
    reference::Mlp prefix{{mlp.layers.begin(), mlp.layers.begin() + long(dense_count)}};
    std::vector<double> x = batch.x_double();
    const std::size_t units = prefix.layers.back().out;
    auto mean_activation = [&] {
      const std::vector<double> a = prefix.forward(x, 3);
      return (a[unit] + a[units + unit] + a[2 * units + unit]) / 3.0;
    };
    double worst = 0.0, largest = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double saved = x[i], h = 1e-5;
      x[i] = saved + h;
      const double up = mean_activation();
      x[i] = saved - h;
      const double down = mean_activation();
      x[i] = saved;
      const double expected = (up - down) / (2 * h);
      worst = std::max(worst, std::abs(double(gradient.values[i]) - expected));
      largest = std::max(largest, std::abs(expected));
    }
    INFO("layer " << layer << ", unit " << unit << ": largest gradient " << largest << ", worst difference " << worst);
    CHECK(largest > 1e-3);  // the gradient is not trivially zero
    CHECK(worst < 1e-5 + 1e-4 * largest);
  }
  const engine::Network twin{Analysed::spec(), Seed{4}};
  CHECK(activation_gradient(twin, batch.x, 3, 3, 1).values == activation_gradient(model, batch.x, 3, 3, 1).values);
  CHECK_THROWS_WITH(activation_gradient(model, batch.x, 3, 2, 7), Contains("layer 2, unit 7 is not in the network"));
  CHECK_THROWS_WITH(activation_gradient(model, batch.x, 3, 5, 0), Contains("layer 5, unit 0 is not in the network"));
}

TEST_CASE("activation_gradient differentiates feature maps through every image layer kind, by finite differences") {
  Model<AnalysedCnn> model{Seed{12}};
  for (std::size_t c = 0; c < 3; ++c) {  // batch normalisation with statistics that are not the identity
    model.weight("batch_normalization/gamma")(0, c) = 0.7f + 0.2f * float(c);
    model.weight("batch_normalization/beta")(0, c) = 0.1f * float(c) - 0.1f;
    model.weight("batch_normalization/moving_mean")(0, c) = 0.05f * float(c);
    model.weight("batch_normalization/moving_variance")(0, c) = 0.5f + 0.25f * float(c);
  }
  const testing::Batch batch = testing::random_batch(2, 60, 3, 13);
  std::vector<float> x = batch.x;
  for (float& v : x) v = v * 4.0f - 2.0f;
  // (layer, unit): a pixel and channel of the first convolution, of the batch-normalised maps, of the
  // pooled maps, of the second convolution's sigmoid, of the global average, of the dense layer and
  // of the softmax.
  using LayerAndUnit = std::pair<std::size_t, std::size_t>;
  for (const auto& [layer, unit] : {LayerAndUnit{1, 3 * 4 + 1}, LayerAndUnit{2, 3 * 7 + 2}, LayerAndUnit{3, 3 * 5 + 0},
                                    LayerAndUnit{5, 4 * 1 + 3}, LayerAndUnit{7, 2}, LayerAndUnit{8, 4}, LayerAndUnit{9, 1}}) {
    const Matrix gradient = activation_gradient(model, x, 2, layer, unit);
    // Central differences of the mean output in float, through the model's own inference.
    const auto mean_output = [&] {
      const std::vector<Matrix> outputs = layer_outputs(model, x, 2);
      return (double(outputs[layer](0, unit)) + double(outputs[layer](1, unit))) / 2.0;
    };
    double worst = 0.0, largest = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const float saved = x[i], h = 1e-2f;
      x[i] = saved + h;
      const double up = mean_output();
      x[i] = saved - h;
      const double down = mean_output();
      x[i] = saved;
      const double expected = (up - down) / (2.0 * double(h));
      worst = std::max(worst, std::abs(double(gradient.values[i]) - expected));
      largest = std::max(largest, std::abs(expected));
    }
    INFO("layer " << layer << ", unit " << unit << ": largest gradient " << largest << ", worst difference " << worst);
    CHECK(largest > 1e-3);
    CHECK(worst < 1e-5 + 1e-3 * largest);
  }
  engine::Network twin{AnalysedCnn::spec(), Seed{12}};
  std::ranges::copy(model.parameters(), twin.parameters().begin());
  CHECK(activation_gradient(twin, x, 2, 5, 3).values == activation_gradient(model, x, 2, 5, 3).values);
}

TEST_CASE("mean activation per class averages each class's samples") {
  Model<Analysed> model{Seed{6}};
  const testing::Batch batch = testing::random_batch(50, 12, 4, 7);
  const Matrix means = mean_activation_per_class(model, batch.view(), 2);  // Dense<9, 7>
  const std::vector<Matrix> outputs = layer_outputs(model, batch.x, 50);
  REQUIRE((means.rows == 4 && means.cols == 7));
  for (std::size_t c = 0; c < 4; ++c)
    for (std::size_t u = 0; u < 7; ++u) {
      double sum = 0.0;
      std::size_t n = 0;
      for (std::size_t r = 0; r < 50; ++r)
        if (batch.labels[r] == c) sum += outputs[2](r, u), ++n;
      CHECK(means(c, u) == Approx(n ? sum / double(n) : 0.0).margin(1e-6));
    }
}

TEST_CASE("weights and activations go to .npy files NumPy reads") {
  Model<Analysed> model{Seed{8}};
  const testing::TempDir dir;
  const Matrix kernel = weight_matrix(model, "dense_1/kernel"), bias = weight_matrix(model, "dense_1/bias");  // Dense<9, 7>
  CHECK((kernel.rows == 9 && kernel.cols == 7 && kernel(3, 5) == model.tensor(2, 0)(3, 5)));
  CHECK((bias.rows == 1 && bias.cols == 7 && bias.values[6] == model.tensor(2, 1)(0, 6)));
  io::save_npy(dir.path() / "kernel.npy", kernel.view());
  const io::NpyArray read = io::load_npy(dir.path() / "kernel.npy");
  CHECK(read.shape == std::vector<std::size_t>{9, 7});
  CHECK(read.values == kernel.values);
}

TEST_CASE("activation_gradient before the activation: the logits' gradients give log p's, by finite differences") {
  Model<Analysed> model{Seed{6}};
  const testing::Batch batch = testing::random_batch(1, 12, 4, 8);
  const std::size_t top = 4, classes = 4;
  std::vector<Matrix> logit_gradients;
  for (std::size_t k = 0; k < classes; ++k) logit_gradients.push_back(activation_gradient(model, batch.x, 1, top, k, true));
  const reference::Mlp mlp = reference::from_model(model);
  std::vector<double> x = batch.x_double();
  const std::vector<double> p = mlp.forward(x, 1);
  for (std::size_t c = 0; c < classes; ++c) {
    double worst = 0.0, largest = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      // d log p_c / dx_i = d z_c / dx_i - sum_k p_k d z_k / dx_i
      double expected_here = double(logit_gradients[c].values[i]);
      for (std::size_t k = 0; k < classes; ++k) expected_here -= p[k] * double(logit_gradients[k].values[i]);
      const double saved = x[i], h = 1e-5;
      x[i] = saved + h;
      const double up = std::log(mlp.forward(x, 1)[c]);
      x[i] = saved - h;
      const double down = std::log(mlp.forward(x, 1)[c]);
      x[i] = saved;
      worst = std::max(worst, std::abs(expected_here - (up - down) / (2 * h)));
      largest = std::max(largest, std::abs(expected_here));
    }
    INFO("class " << c << ": largest " << largest << ", worst difference " << worst);
    CHECK(largest > 1e-3);
    CHECK(worst < 1e-5 + 1e-4 * largest);
  }
  CHECK_THROWS_WITH(activation_gradient(model, batch.x, 1, 1, 0, true), Contains("has no activation of its own"));
}

TEST_CASE("maximize_activation raises the unit it maximises, step after step, from a noisy grey start") {
  Model<Analysed> model{Seed{6}};
  // Layer 2 is Dense(7, sigmoid): its pre-activation rises exactly when its output does.
  for (std::size_t unit = 0; unit < 7; ++unit) {
    const std::vector<float> start = maximize_activation(model, 2, unit, 0.0f, 1.0f, {.steps = 0});
    // The start is grey (128 of 255) plus up to 20 levels of noise.
    CHECK(std::ranges::all_of(start, [](float x) { return x >= 128.0f / 255.0f && x < 148.0f / 255.0f; }));
    float previous = layer_outputs(model, start, 1)[2](0, unit);
    for (const std::size_t steps : {10, 40, 160}) {
      const std::vector<float> found = maximize_activation(model, 2, unit, 0.0f, 1.0f, {.steps = steps});
      const float reached = layer_outputs(model, found, 1)[2](0, unit);
      INFO("unit " << unit << ", " << steps << " steps: " << previous << " -> " << reached);
      CHECK(reached > previous);
      previous = reached;
    }
  }
}

TEST_CASE("deprocess_image is the notebook's: centred, a deviation of 0.1 around mid-grey, clipped, as bytes") {
  // mean 1.5, deviation sqrt(1.25): (x - 1.5) / 1.118034 * 0.1 + 0.5 = 0.36584, 0.45528, 0.54472, 0.63416
  CHECK(deprocess_image(std::vector<float>{0.0f, 1.0f, 2.0f, 3.0f}) == std::vector<std::uint8_t>{93, 116, 138, 161});
  CHECK(deprocess_image(std::vector<float>(5, 7.0f)) == std::vector<std::uint8_t>(5, 127));
  // 99 zeros and a one put the one 9.95 deviations above the mean: 1.495, clipped to 1.
  std::vector<float> spike(100, 0.0f);
  spike[0] = 1.0f;
  CHECK(deprocess_image(spike)[0] == 255);
}
