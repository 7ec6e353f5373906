// Analysis hooks: every layer's outputs, activation gradients with respect to the input (against
// finite differences), mean activations per class, weights as matrices; both backends.
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

}  // namespace

TEST_CASE("layer_outputs gives every layer's inference outputs, as the reference computes them") {
  Model<Analysed> model{Seed{2}};
  const testing::Batch batch = testing::random_batch(300, 12, 4, 3);  // more than one chunk of 128
  const std::vector<Matrix> outputs = layer_outputs(model, batch.x, 300);
  REQUIRE(outputs.size() == 4);
  reference::Mlp mlp = reference::from_model(model);
  const std::vector<double> x = batch.x_double();
  double worst = 0.0;
  for (std::size_t l = 0; l < 4; ++l) {
    reference::Mlp prefix{{mlp.layers.begin(), mlp.layers.begin() + long(l) + 1}};
    const std::vector<double> expected = prefix.forward(x, 300);
    REQUIRE(outputs[l].rows == 300);
    REQUIRE(outputs[l].cols == Analysed::output_shapes[Analysed::kernel_layers[l]].elements());
    for (std::size_t i = 0; i < expected.size(); ++i)
      worst = std::max(worst, std::abs(double(outputs[l].values[i]) - expected[i]));
  }
  CHECK(worst < 1e-5);
  // The last layer's outputs are the predictions; the engine gives the same outputs.
  std::vector<float> p(300 * 4);
  model.predict(batch.x.data(), 300, p.data());
  CHECK(outputs[3].values == p);
  const engine::Network twin{Analysed::spec(), Seed{2}};
  const std::vector<Matrix> twin_outputs = layer_outputs(twin, batch.x, 300);
  for (std::size_t l = 0; l < 4; ++l) CHECK(twin_outputs[l].values == outputs[l].values);
  CHECK_THROWS_WITH(layer_outputs(model, std::span(batch.x).first(100), 10), Contains("100 values are not 10 samples of 12"));
}

TEST_CASE("activation_gradient is the gradient of a unit's mean activation, by finite differences") {
  Model<Analysed> model{Seed{4}};
  const testing::Batch batch = testing::random_batch(3, 12, 4, 5);
  using LayerAndUnit = std::pair<std::size_t, std::size_t>;
  for (const auto& [layer, unit] : {LayerAndUnit{0, 3}, LayerAndUnit{1, 6}, LayerAndUnit{2, 2}, LayerAndUnit{3, 2}}) {
    const Matrix gradient = activation_gradient(model, batch.x, 3, layer, unit);
    // Central differences of the mean activation in double, on the reference.
    reference::Mlp mlp = reference::from_model(model);
    reference::Mlp prefix{{mlp.layers.begin(), mlp.layers.begin() + long(layer) + 1}};
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
  CHECK(activation_gradient(twin, batch.x, 3, 2, 1).values == activation_gradient(model, batch.x, 3, 2, 1).values);
  CHECK_THROWS_WITH(activation_gradient(model, batch.x, 3, 1, 7), Contains("layer 1, unit 7 is not in the network"));
}

TEST_CASE("mean activation per class averages each class's samples") {
  Model<Analysed> model{Seed{6}};
  const testing::Batch batch = testing::random_batch(50, 12, 4, 7);
  const Matrix means = mean_activation_per_class(model, batch.view(), 1);
  const std::vector<Matrix> outputs = layer_outputs(model, batch.x, 50);
  REQUIRE((means.rows == 4 && means.cols == 7));
  for (std::size_t c = 0; c < 4; ++c)
    for (std::size_t u = 0; u < 7; ++u) {
      double sum = 0.0;
      std::size_t n = 0;
      for (std::size_t r = 0; r < 50; ++r)
        if (batch.labels[r] == c) sum += outputs[1](r, u), ++n;
      CHECK(means(c, u) == Approx(n ? sum / double(n) : 0.0).margin(1e-6));
    }
}

TEST_CASE("weights and activations go to .npy files NumPy reads") {
  Model<Analysed> model{Seed{8}};
  const testing::TempDir dir;
  const Matrix kernel = kernel_matrix(model, 1), bias = bias_matrix(model, 1);  // Dense<9, 7>
  CHECK((kernel.rows == 9 && kernel.cols == 7 && kernel(3, 5) == model.kernel(1)(3, 5)));
  CHECK((bias.rows == 1 && bias.cols == 7 && bias.values[6] == model.bias(1)[6]));
  io::save_npy(dir.path() / "kernel.npy", kernel.view());
  const io::NpyArray read = io::load_npy(dir.path() / "kernel.npy");
  CHECK(read.shape == std::vector<std::size_t>{9, 7});
  CHECK(read.values == kernel.values);
}
