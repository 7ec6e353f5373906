// BatchNorm<momentum>: training with the batch's statistics, the moving averages, inference with
// the moving statistics, and the parameters in model files, .npz archives and specs. Gradients
// are checked by finite differences in test_gradients, the backends against each other in
// test_differential, exported headers in test_exported_header.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include <cmath>

#include "dense_views.hpp"
#include "parameter_bits.hpp"
#include "reference_mlp.hpp"
#include "temp_dir.hpp"
#include "test_data.hpp"

using namespace ctnn;
using Catch::Matchers::Contains;

namespace {

// Gamma, beta and the moving statistics of every normalised layer away from their initial values.
template <class M>
void scramble_batch_norm(M& model, std::uint64_t seed) {
  for (std::size_t l = 0; l < testing::depth(model); ++l)
    if (const testing::BatchNormView<float> norm = testing::batch_norm(model, l)) {
      Rng rng(seed, 50 + l);
      for (std::size_t o = 0; o < norm.units; ++o) {
        norm.gamma()[o] = float(0.5 + rng.uniform());
        norm.beta()[o] = float(rng.uniform() - 0.5);
        norm.moving_mean()[o] = float(rng.uniform() - 0.5);
        norm.moving_variance()[o] = float(0.2 + rng.uniform());
      }
    }
}

}  // namespace

TEST_CASE("a batch of two, by hand: normalised with the batch's statistics, moving statistics by the momentum") {
  // One input, two linear units with kernel [1, 2]: the batch x = {1, 3} gives outputs {1, 3} (mean 2,
  // variance 1) and {2, 6} (mean 4, variance 4).
  using N = Net<Dense<1, 2, Linear>, BatchNorm<>, Softmax<2>>;
  Model<N> model{Seed{1}};
  testing::kernel(model, 0)(0, 0) = 1.0f, testing::kernel(model, 0)(0, 1) = 2.0f;
  const float x[2] = {1.0f, 3.0f};
  const std::uint8_t labels[2] = {0, 1};
  TrainingStep<N, 2> step(model);
  step.load_batch(x, labels, testing::first_indices(2));
  step.compute_gradients(2);

  // Keras: moving = moving * 0.99 + batch * 0.01, from mean 0 and variance 1.
  const testing::BatchNormView<const float> norm = testing::batch_norm(std::as_const(model), 0);
  CHECK(norm.moving_mean()[0] == Approx(0.02).epsilon(1e-6));
  CHECK(norm.moving_mean()[1] == Approx(0.04).epsilon(1e-6));
  CHECK(norm.moving_variance()[0] == Approx(1.0).epsilon(1e-6));
  CHECK(norm.moving_variance()[1] == Approx(1.03).epsilon(1e-6));

  // The next layer saw x_hat = -+1/sqrt(1.001) and -+2/sqrt(4.001): its kernel gradient is
  // sum over rows of x_hat * dZ, dZ = (p - onehot) / 2 with p from the (zero-bias) output layer.
  const auto w = testing::kernel(model, 1);
  const double x_hat[2][2] = {{-1 / std::sqrt(1.001), -2 / std::sqrt(4.001)}, {1 / std::sqrt(1.001), 2 / std::sqrt(4.001)}};
  double expected[2][2] = {};
  for (int r = 0; r < 2; ++r) {
    double logits[2];
    for (int c = 0; c < 2; ++c) logits[c] = x_hat[r][0] * w(0, c) + x_hat[r][1] * w(1, c);
    const double p1 = 1.0 / (1.0 + std::exp(logits[0] - logits[1]));
    const double dz[2] = {(1.0 - p1 - (labels[r] == 0)) / 2.0, (p1 - (labels[r] == 1)) / 2.0};
    for (int i = 0; i < 2; ++i)
      for (int c = 0; c < 2; ++c) expected[i][c] += x_hat[r][i] * dz[c];
  }
  for (int i = 0; i < 2; ++i)
    for (int c = 0; c < 2; ++c) CHECK(testing::kernel_gradient(step, model, 1)(i, c) == Approx(expected[i][c]).epsilon(1e-5));

  // Inference uses the moving statistics: x = 1 gives (1 - 0.02) / sqrt(1.001) and (2 - 0.04) / sqrt(1.031).
  const double h0 = 0.98 / std::sqrt(1.0 + 0.001), h1 = 1.96 / std::sqrt(1.03 + 0.001);
  const double logits[2] = {h0 * w(0, 0) + h1 * w(1, 0), h0 * w(0, 1) + h1 * w(1, 1)};
  float p[2];
  model.predict(x, p);
  CHECK(p[1] == Approx(1.0 / (1.0 + std::exp(logits[0] - logits[1]))).epsilon(1e-5));
}

TEST_CASE("the moving statistics follow the batch's: (1 - momentum^k) of the way after k steps") {
  using N = Net<Dense<9, 13, Tanh>, BatchNorm<0.9>, Dense<13, 6, ReLU>, BatchNorm<>, Softmax<3>>;
  Model<N> model{Seed{3}};
  const testing::Batch batch = testing::random_batch(24, 9, 3, 4);
  TrainingStep<N, 24> step(model);
  step.load_batch(batch.x.data(), batch.labels.data(), testing::first_indices(24));
  constexpr int steps = 3;  // compute_gradients leaves the weights alone: every step sees the same statistics
  for (int k = 0; k < steps; ++k) step.compute_gradients(24);

  const auto check_layer = [&](auto outputs, std::size_t l, double momentum) {
    const testing::BatchNormView<const float> norm = testing::batch_norm(std::as_const(model), l);
    const double kept = std::pow(momentum, steps);
    for (std::size_t o = 0; o < outputs.cols; ++o) {
      double mean = 0.0, variance = 0.0;
      for (std::size_t r = 0; r < outputs.rows; ++r) mean += outputs(r, o) / double(outputs.rows);
      for (std::size_t r = 0; r < outputs.rows; ++r) variance += std::pow(outputs(r, o) - mean, 2) / double(outputs.rows);
      INFO("layer " << l << ", unit " << o);
      CHECK(norm.moving_mean()[o] == Approx((1 - kept) * mean).margin(1e-6).epsilon(1e-5));
      CHECK(norm.moving_variance()[o] == Approx(kept + (1 - kept) * variance).epsilon(1e-5));
    }
  };
  check_layer(testing::layer_output(step, model, 0, 24), 0, 0.9);
  check_layer(testing::layer_output(step, model, 1, 24), 1, 0.99);
}

TEST_CASE("training normalises with the batch's statistics; inference with the moving ones, on both backends") {
  using N = Net<Dense<11, 20, ReLU>, BatchNorm<>, Dropout<0.2>, Dense<20, 7, Sigmoid>, BatchNorm<>, Softmax<4>>;
  Model<N> model{Seed{5}};
  scramble_batch_norm(model, 5);
  engine::Network twin{N::spec(), Seed{5}};
  scramble_batch_norm(twin, 5);
  const testing::Batch batch = testing::random_batch(30, 11, 4, 6);

  reference::Mlp mlp = reference::from_model(model);
  mlp.batch_statistics = false;
  const std::vector<double> expected = mlp.forward(batch.x_double(), 30);
  std::vector<float> generated(30 * 4), generic(30 * 4);
  model.predict(batch.x.data(), 30, generated.data());
  twin.predict(batch.x.data(), 30, generic.data());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CHECK(generated[i] == Approx(expected[i]).margin(1e-6).epsilon(1e-5));
    CHECK(generic[i] == generated[i]);
  }
  float one[4];
  model.predict(batch.x.data() + 11, one);
  for (std::size_t c = 0; c < 4; ++c) CHECK(one[c] == Approx(generated[4 + c]).epsilon(1e-5));  // gemv and gemm sum in other orders

  // The training loss is the reference's with batch statistics (and the step's own dropout masks).
  TrainingStep<N, 30> step(model);
  step.load_batch(batch.x.data(), batch.labels.data(), testing::first_indices(30));
  const double loss = step.compute_gradients(30).loss();
  mlp.batch_statistics = true;
  const auto mask = testing::dropout_mask(step, model, 0, 30);
  for (std::size_t r = 0; r < 30; ++r)
    for (std::size_t o = 0; o < 20; ++o) mlp.layers[0].mask.push_back(mask(r, o));
  CHECK(reference::relative_difference(loss, mlp.loss(batch.x_double(), batch.labels_int())) < 1e-5);
  mlp.batch_statistics = false;
  CHECK(reference::relative_difference(loss, mlp.loss(batch.x_double(), batch.labels_int())) > 1e-3);
}

TEST_CASE("fit with batch normalisation: the same weights and statistics on 1 and 2 threads and on the engine") {
  using N = Net<Dense<30, 40, ReLU>, BatchNorm<>, Dropout<0.5>, Dense<40, 12, ReLU>, BatchNorm<>, Softmax<5>>;
  const testing::Batch data = testing::random_batch(300, 30, 5, 8);
  const FitOptions options{.epochs = 2, .optimizer = Adam{}, .seed = 9, .verbose = false};
  Model<N> one{Seed{7}}, two{Seed{7}};
  engine::Network twin{N::spec(), Seed{7}};
  fit<32>(one, data.view(), [&] { FitOptions o = options; o.threads = 1; return o; }());
  fit<32>(two, data.view(), [&] { FitOptions o = options; o.threads = 2; return o; }());
  fit<32>(twin, data.view(), options);
  CHECK(testing::parameter_bits(one) == testing::parameter_bits(two));
  CHECK(testing::parameter_bits(one) == testing::parameter_bits(twin));
  // Trained: gamma, beta and the moving statistics have all left their initial values.
  const testing::BatchNormView<const float> norm = testing::batch_norm(std::as_const(one), 1);
  CHECK(norm.gamma()[0] != 1.0f);
  CHECK(norm.beta()[0] != 0.0f);
  CHECK(norm.moving_mean()[0] != 0.0f);
  CHECK(norm.moving_variance()[0] != 1.0f);
}

TEST_CASE("model files and .npz archives carry batch normalisation; a file without it does not load") {
  using N = Net<Dense<6, 9, Tanh>, BatchNorm<>, Softmax<3>>;
  using Plain = Net<Dense<6, 9, Tanh>, Softmax<3>>;
  STATIC_REQUIRE(N::param_count == 6 * 9 + 9 + 4 * 9 + 9 * 3 + 3);
  CHECK(N::architecture() == "6-9:tanh:batchnorm-3:softmax");
  Model<N> model{Seed{11}};
  scramble_batch_norm(model, 11);
  const testing::TempDir dir;

  io::save(model, dir.path() / "bn.ctnn");
  const Model<N> loaded = io::load<N>(dir.path() / "bn.ctnn");
  CHECK(testing::parameter_bits(loaded) == testing::parameter_bits(model));
  const engine::Network network = io::load_network(dir.path() / "bn.ctnn");
  CHECK(network.architecture() == N::architecture());
  CHECK(testing::parameter_bits(network) == testing::parameter_bits(model));
  // File order: kernel, bias, gamma, beta, moving mean, moving variance.
  const io::ModelFile file = io::read_model_file(dir.path() / "bn.ctnn");
  CHECK(file.parameters[6 * 9 + 9] == testing::batch_norm(model, 0).gamma()[0]);
  CHECK(file.parameters[6 * 9 + 9 + 3 * 9 + 8] == testing::batch_norm(model, 0).moving_variance()[8]);

  Model<Plain> plain;
  CHECK_THROWS_WITH(io::load_into(plain, dir.path() / "bn.ctnn"),
                    Contains("holds a model of another architecture") && Contains("6-9:tanh:batchnorm-3:softmax") &&
                        Contains("6-9:tanh-3:softmax"));

  io::save_npz(model, dir.path() / "bn.npz");
  const auto arrays = io::read_npz(dir.path() / "bn.npz");
  REQUIRE(arrays.count("batch_normalization/moving_variance") == 1);
  CHECK(arrays.at("batch_normalization/gamma").values[2] == testing::batch_norm(model, 0).gamma()[2]);
  Model<N> from_npz{Seed{12}};
  io::load_npz(from_npz, dir.path() / "bn.npz");
  CHECK(testing::parameter_bits(from_npz) == testing::parameter_bits(model));
  io::save_npz(plain, dir.path() / "plain.npz");
  CHECK_THROWS_WITH(io::load_npz(from_npz, dir.path() / "plain.npz"), Contains("has no array \"batch_normalization/gamma\""));
}

TEST_CASE("specs write batch normalisation as batchnorm[=momentum]; misplaced or out of range, an error") {
  const engine::NetworkSpec spec = engine::parse_spec("784-600:relu:batchnorm-100:batchnorm=0.9:dropout=0.5-10:softmax");
  REQUIRE(spec.layers.size() == 6);  // Dense, BatchNorm, Dense, BatchNorm, Dropout, Dense
  CHECK(spec.layers[1]->as<layers::BatchNorm>()->momentum == 0.99f);
  CHECK(spec.layers[3]->as<layers::BatchNorm>()->momentum == 0.9f);
  CHECK(spec.layers[4]->as<layers::Dropout>()->rate == 0.5f);
  using N = Net<Dense<784, 600>, BatchNorm<>, Dense<600, 100>, BatchNorm<0.9>, Dropout<0.5>, Softmax<10>>;
  CHECK(N::spec() == "784-600:relu:batchnorm-100:relu:batchnorm=0.9:dropout=0.5-10:softmax");
  CHECK(engine::parse_spec(N::spec()).to_string() == N::spec());
  CHECK_THROWS_WITH(engine::parse_spec("4-3:batchnorm-2:softmax:batchnorm"), Contains("batch normalisation after a softmax"));
  CHECK_THROWS_WITH(engine::parse_spec("4-3:batchnorm=1.5-2:softmax"), Contains("in [0, 1]"));
  CHECK_THROWS_WITH(engine::parse_spec("4-3:batchnorm:batchnorm-2:softmax"), Contains("one batch normalisation"));
}
