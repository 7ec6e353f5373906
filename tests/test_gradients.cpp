// Gradients of the generated backward pass against central finite differences of the
// double-precision reference loss.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include "dense_views.hpp"
#include "reference_mlp.hpp"
#include "test_data.hpp"

using namespace ctnn;

namespace {

// Compares every kernel and bias gradient of every layer (or, for big layers, a strided sample).
template <class N, std::size_t Batch>
void check_gradients(std::size_t rows, std::uint64_t seed, double tolerance = 1e-4, const Loss& loss = {}) {
  Model<N> model{Seed{seed}};
  // Non-zero biases, so that the bias gradient path is exercised away from the initial state.
  for (std::size_t l = 0; l < testing::depth(model); ++l) {
    Rng rng(seed, 100 + l);
    for (float& b : testing::bias(model, l)) b = float(0.2 * (rng.uniform() - 0.5));
    if (const testing::BatchNormView<float> norm = testing::batch_norm(model, l)) {  // away from gamma 1, beta 0
      for (float& gamma : norm.gamma()) gamma = float(0.5 + rng.uniform());
      for (float& beta : norm.beta()) beta = float(rng.uniform() - 0.5);
    }
  }
  const testing::Batch batch = testing::random_batch(rows, N::input_size, N::output_size, seed);
  TrainingStep<N, Batch> step(model);
  step.set_loss(loss);
  const auto indices = testing::first_indices(rows);
  step.load_batch(batch.x.data(), batch.labels.data(), indices);
  const BatchResult result = step.compute_gradients(rows);

  reference::Mlp mlp = reference::from_model(model);
  if (const auto* categorical = std::get_if<CategoricalCrossentropy>(&loss)) mlp.label_smoothing = categorical->label_smoothing;
  mlp.squared_error = std::holds_alternative<MeanSquaredError>(loss);
  // The reference drops exactly the outputs the step dropped.
  for (std::size_t l = 0; l < testing::depth(model); ++l) {
    if (testing::dropout_after(model, l) != 0) {
      const auto mask = testing::dropout_mask(step, model, l, rows);
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t o = 0; o < mask.cols; ++o) mlp.layers[l].mask.push_back(mask(r, o));
    }
  }
  const std::vector<double> x = batch.x_double();
  const std::vector<int> labels = batch.labels_int();
  CHECK(reference::relative_difference(result.loss(), mlp.loss(x, labels)) < 1e-5);

  auto finite_difference = [&](double& parameter) {
    return reference::central_difference(parameter, [&] { return mlp.loss(x, labels); });
  };

  double worst = 0.0;
  std::size_t compared = 0;
  for (std::size_t l = 0; l < testing::depth(model); ++l) {
    reference::Layer& layer = mlp.layers[l];
    const auto kernel_gradient = testing::kernel_gradient(step, model, l);
    const std::size_t stride = std::max<std::size_t>(1, layer.in * layer.out / 400);  // at most ~400 per layer
    for (std::size_t k = 0; k < layer.in * layer.out; k += stride) {
      const std::size_t i = k / layer.out, o = k % layer.out;
      worst = std::max(worst, reference::relative_difference(kernel_gradient(i, o), finite_difference(layer.weight(i, o)), 1e-2));
      ++compared;
    }
    const auto bias_gradient = testing::bias_gradient(step, model, l);
    for (std::size_t o = 0; o < layer.out; ++o) {
      worst = std::max(worst, reference::relative_difference(bias_gradient[o], finite_difference(layer.b[o]), 1e-2));
      ++compared;
    }
    if (testing::batch_norm(model, l)) {
      const testing::BatchNormView<const float> norm_gradient = testing::batch_norm_gradient(step, model, l);
      for (std::size_t o = 0; o < layer.out; ++o) {
        worst = std::max(worst, reference::relative_difference(norm_gradient.gamma()[o], finite_difference(layer.gamma[o]), 1e-2));
        worst = std::max(worst, reference::relative_difference(norm_gradient.beta()[o], finite_difference(layer.beta[o]), 1e-2));
        compared += 2;
      }
    }
  }
  INFO(N::describe() << ": " << compared << " gradients, worst relative difference " << worst);
  CHECK(worst < tolerance);
}

}  // namespace

TEST_CASE("gradients of odd-sized layers with every activation") {
  check_gradients<Net<Dense<13, 7, Tanh>, Dense<7, 5, Sigmoid>, Softmax<3>>, 8>(8, 11);
  check_gradients<Net<Dense<6, 9, Linear>, Dense<9, 4, ReLU>, Softmax<5>>, 16>(16, 12);
}

TEST_CASE("gradients through a layer of one unit and from one input") {
  // The hidden layer of 1 unit from the Keras width experiments, and a single input feature.
  check_gradients<Net<Dense<9, 1, Tanh>, Softmax<2>>, 8>(8, 17);
  check_gradients<Net<Dense<1, 3, Sigmoid>, Dense<3, 1, Linear>, Softmax<2>>, 4>(3, 18);
}

TEST_CASE("gradients include each regulariser's derivative") {
  check_gradients<Net<Dense<13, 7, Tanh, L1<0.01f>>, Dense<7, 5, Sigmoid, L2<0.02f>>, Softmax<3, L1L2<0.01f, 0.03f>>>, 8>(
      8, 13);
}

TEST_CASE("gradients through dropout, with the step's own masks") {
  check_gradients<Net<Dense<12, 20, Tanh>, Dropout<0.3>, Dense<20, 9, ReLU>, Dropout<0.5>, Softmax<4>>, 16>(16, 31);
  check_gradients<Net<Dense<6, 35, Sigmoid>, Dropout<0.1>, Softmax<3>>, 8>(5, 32);
}

TEST_CASE("gradients and loss include ActivityL1's penalty, on both sides of dropout") {
  check_gradients<Net<Dense<12, 20, Tanh, ActivityL1<0.01>>, Dropout<0.3>, Dense<20, 9, ReLU, ActivityL1<0.02>>,
                      Softmax<4, ActivityL1<0.5>>>, 16>(16, 33);
  check_gradients<Net<Dense<6, 35, Sigmoid, ActivityL1<1e-3>, L2<0.01>>, Softmax<3>>, 8>(5, 34);
}

TEST_CASE("gradients through batch normalisation with the batch's statistics") {
  // Every activation under BatchNorm, with dropout and an activity regulariser on normalised layers.
  check_gradients<Net<Dense<12, 20, Tanh>, BatchNorm<>, Dense<20, 9, ReLU>, BatchNorm<0.9>, Softmax<4>>, 16>(16, 41);
  check_gradients<Net<Dense<10, 17, Sigmoid, ActivityL1<0.01>>, BatchNorm<>, Dropout<0.3>, Dense<17, 6, Linear>, BatchNorm<>,
                      Softmax<3>>, 16>(11, 42);
  // The notebooks' 600-100 network, on a small batch: float sums over 784 inputs, divided by a batch
  // standard deviation over 6 rows, carry a few 1e-4 of relative error.
  check_gradients<Net<Dense<784, 600>, BatchNorm<>, Dense<600, 100>, BatchNorm<>, Dropout<0.5>, Softmax<10>>, 8>(6, 43,
                                                                                                              1e-3);
}

TEST_CASE("gradients of every loss: smoothed categorical cross-entropy and squared error through softmax") {
  using Odd = Net<Dense<13, 7, Tanh>, Dropout<0.2>, Dense<7, 5, Sigmoid, L2<0.01>>, Softmax<3>>;
  check_gradients<Odd, 8>(8, 51, 1e-4, CategoricalCrossentropy{});
  check_gradients<Odd, 8>(8, 52, 1e-4, CategoricalCrossentropy{.label_smoothing = 0.1});
  check_gradients<Odd, 8>(6, 53, 1e-4, CategoricalCrossentropy{.label_smoothing = 1.0});
  check_gradients<Odd, 8>(8, 54, 1e-4, MeanSquaredError{});
  // Squared error's gradients are small (softmax's Jacobian times p - y over ten classes): the
  // seed network on five samples, with a batch-normalised layer.
  check_gradients<Net<Dense<784, 40>, BatchNorm<>, Dense<40, 20>, Softmax<10>>, 8>(5, 55, 1e-3, MeanSquaredError{});
}

TEST_CASE("gradients of a partial last batch") {
  // 19 of 32 rows: the mean must be over 19 samples and stale rows must not leak in.
  check_gradients<Net<Dense<21, 18, ReLU>, Dense<18, 11, Tanh>, Softmax<4>>, 32>(19, 14);
  check_gradients<Net<Dense<21, 18, ReLU>, Dense<18, 11, Tanh>, Softmax<4>>, 32>(1, 15);
}

TEST_CASE("gradients of the seed network") {
  check_gradients<Net<Dense<784, 400, ReLU>, Dense<400, 20>, Softmax<10>>, 8>(5, 16);
}

TEST_CASE("a training step refuses batches larger than its plan") {
  using N = Net<Dense<3, 4, ReLU>, Softmax<2>>;
  Model<N> model;
  TrainingStep<N, 4> step(model);
  const testing::Batch batch = testing::random_batch(5, 3, 2, 1);
  const auto five = testing::first_indices(5);
  CHECK_THROWS_WITH(step.load_batch(batch.x.data(), batch.labels.data(), five),
                    Catch::Matchers::Contains("5 rows") && Catch::Matchers::Contains("1 to 4"));
  CHECK_THROWS_AS(step.compute_gradients(0), Error);
}
