// Differential tests: the generated code (Model<Net>) against its generic twin
// (engine::Network built from Net::spec()). Same seed -> same weights; then forward outputs, loss,
// every gradient, and the weights after many steps on the same batches must be the same, bit for bit.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include <array>
#include <tuple>

#include "reference_mlp.hpp"
#include "test_data.hpp"

using namespace ctnn;
namespace hana = boost::hana;

namespace {

// Both backends run the same layer kinds through the same protocol and kernels: every number agrees
// bit for bit.
constexpr double forward_tolerance = 0.0;
constexpr double gradient_tolerance = 0.0;
constexpr double weight_tolerance = 0.0;

// Largest element-wise relative difference; values below `floor` in magnitude compare absolutely.
template <class A, class B>
  requires requires(const A& a) { a.rows; }
double worst_difference(const A& a, const B& b, double floor = 1e-6) {
  REQUIRE(a.rows == b.rows);
  REQUIRE(a.cols == b.cols);
  double worst = 0.0;
  for (std::size_t i = 0; i < a.rows; ++i)
    for (std::size_t j = 0; j < a.cols; ++j) worst = std::max(worst, reference::relative_difference(a(i, j), b(i, j), floor));
  return worst;
}
double worst_difference(std::span<const float> a, std::span<const float> b, double floor = 1e-6) {
  REQUIRE(a.size() == b.size());
  double worst = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, reference::relative_difference(a[i], b[i], floor));
  return worst;
}

struct Rows {
  const float* data;
  std::size_t rows, cols;
  float operator()(std::size_t i, std::size_t j) const { return data[i * cols + j]; }
};

// Every tensor of every layer, as the protocol lists them.
template <NetType N>
void check_same_weights(const Model<N>& generated, const engine::Network& generic, double tolerance) {
  REQUIRE(generic.layer_count() == N::layer_count);
  for (std::size_t i = 0; i < N::layer_count; ++i)
    for (std::size_t k = 0; k < N::tensors[i].size(); ++k) {
      INFO("layer " << i << " (" << N::keras_types[i] << "), tensor " << N::tensors[i][k].name);
      CHECK(worst_difference(generated.tensor(i, k), generic.tensor(i, k)) <= tolerance);
    }
}

// Builds both backends from one seed and compares them step by step over `steps` SGD updates
// on random batches of a random data set (the last batch of each pass is partial).
template <NetType N, std::size_t Batch>
void check_twins(std::uint64_t seed, std::size_t steps, Optimizer optimizer = SGD{.learning_rate = 0.05f}) {
  INFO(N::describe() << "  as spec  " << N::spec());
  Model<N> generated{Seed{seed}};
  engine::Network generic{N::spec(), Seed{seed}};
  REQUIRE(generic.describe() == N::spec());
  REQUIRE(generic.param_count() == N::param_count);

  // Identical initial weights: the same initialisers draw from the same streams.
  check_same_weights(generated, generic, 0.0);

  const std::size_t samples = 3 * Batch + Batch / 2 + 1;
  const testing::Batch data = testing::random_batch(samples, N::input_size, N::output_size, seed + 1);

  // Batched prediction (more rows than one prediction chunk when the data is big enough) and batch-1.
  std::vector<float> p_generated(samples * N::output_size), p_generic(samples * N::output_size);
  generated.predict(data.x.data(), samples, p_generated.data());
  generic.predict(data.x.data(), samples, p_generic.data());
  CHECK(worst_difference(Rows{p_generated.data(), samples, N::output_size}, Rows{p_generic.data(), samples, N::output_size}) <=
        forward_tolerance);
  std::array<float, N::output_size> one_generated{}, one_generic{};
  generated.predict(data.x.data() + N::input_size, one_generated.data());
  generic.predict(data.x.data() + N::input_size, one_generic.data());
  CHECK(worst_difference(one_generated, one_generic) <= forward_tolerance);

  TrainingStep<N, Batch> generated_step(generated);
  engine::TrainingStep generic_step(generic, Batch);
  std::ranges::fill(generated_step.optimizer_state(), 0.0f);
  std::ranges::fill(generic_step.optimizer_state(), 0.0f);
  Rng shuffle(seed, 7);
  std::vector<std::uint32_t> order = testing::first_indices(samples);
  std::size_t next = samples;
  for (std::size_t step = 0; step < steps; ++step) {
    if (next == samples) {
      for (std::size_t i = samples - 1; i > 0; --i) std::swap(order[i], order[shuffle.below(i + 1)]);
      next = 0;
    }
    const std::size_t rows = std::min(Batch, samples - next);
    const auto indices = std::span<const std::uint32_t>(order).subspan(next, rows);
    next += rows;
    generated_step.load_batch(data.x.data(), data.labels.data(), indices);
    generic_step.load_batch(data.x.data(), data.labels.data(), indices);
    const BatchResult a = generated_step.compute_gradients(rows);
    const BatchResult b = generic_step.compute_gradients(rows);
    INFO("step " << step << ", " << rows << " rows");
    REQUIRE(reference::relative_difference(a.loss(), b.loss(), 1e-6) <= gradient_tolerance);
    REQUIRE(a.correct == b.correct);
    if (step < 2 || rows < Batch) {
      for (std::size_t i = 0; i < N::layer_count; ++i) {
        INFO("layer " << i << " (" << N::keras_types[i] << ")");
        CHECK(worst_difference(generated_step.output(i, rows), generic_step.output(i, rows)) <= forward_tolerance);
        for (std::size_t k = 0; k < N::tensors[i].size(); ++k) {
          INFO("gradient of " << N::tensors[i][k].name);
          CHECK(worst_difference(generated_step.tensor_gradient(i, k), generic_step.tensor_gradient(i, k)) <= gradient_tolerance);
        }
      }
    }
    apply_update(optimizer, step + 1, generated_step.parameters(), generated_step.gradients(),
                 generated_step.optimizer_state().data(), generated_step.optimizer_state_stride());
    apply_update(optimizer, step + 1, generic_step.parameters(), generic_step.gradients(), generic_step.optimizer_state().data(),
                 generic_step.optimizer_state_stride());
  }
  check_same_weights(generated, generic, weight_tolerance);
  CHECK(reference::relative_difference(generated.regularization_penalty(), generic.regularization_penalty(), 1e-6) <=
        forward_tolerance);
}

using SeedNet = Net<Dense<784, 400, ReLU>, Dense<400, 20>, Softmax<10>>;
// Widths that are not multiples of any SIMD width, every activation, regulariser and initialiser.
using OddNet = Net<Dense<13, 7, Tanh, L1<0.01f>>, Dense<7, 29, Sigmoid, L2<0.02f>>,
                   Dense<29, 3, Linear, L1L2<0.001f, 0.003f>, HeNormal>, Softmax<5, RandomNormal<0.1f, 0.2f>>>;
using NarrowNet = Net<Dense<100, 1, ReLU>, Softmax<2>>;
using ZerosNet = Net<Dense<33, 65, Sigmoid, Zeros>, Softmax<9, L2<0.1f>>>;
using ActivityNet = Net<Dense<20, 33, ReLU, ActivityL1<1e-3>>, Dropout<0.25>, Dense<33, 9, Tanh, ActivityL1<0.01>>, Softmax<3>>;
using BatchNormNet = Net<Dense<20, 33, ReLU>, BatchNorm<>, Dropout<0.25>, Dense<33, 9, Tanh, ActivityL1<0.01>>,
                        BatchNorm<0.9>, Softmax<3>>;
using WideOutputNet = Net<Dense<17, 130, Tanh, L2<0.001f>>, Softmax<37, L1<0.0005f>>>;

}  // namespace

TEST_CASE("the seed network and its generic twin agree over 50 SGD steps") {
  check_twins<SeedNet, 200>(42, 50);
}

TEST_CASE("odd sizes, every activation, regulariser and initialiser agree on both backends") {
  check_twins<OddNet, 17>(3, 50);
  check_twins<OddNet, 1>(4, 10);
  check_twins<NarrowNet, 3>(5, 50);
  check_twins<ZerosNet, 8>(6, 50);
  check_twins<WideOutputNet, 13>(7, 50, SGD{.learning_rate = 0.02f, .momentum = 0.9f, .nesterov = true});
  check_twins<OddNet, 9>(8, 50, SGD{.learning_rate = 0.1f, .momentum = 0.5f});
  check_twins<OddNet, 11>(9, 30, RMSprop{.learning_rate = 0.003f, .momentum = 0.3f, .centered = true});
  check_twins<NarrowNet, 5>(10, 30, Adam{.learning_rate = 0.01f, .amsgrad = true});
  check_twins<ActivityNet, 12>(11, 30, Adam{});  // dropout masks and activity penalties on both backends
  check_twins<BatchNormNet, 12>(12, 30, Adam{});  // batch statistics, moving averages, gamma and beta
  check_twins<BatchNormNet, 7>(13, 30, SGD{.learning_rate = 0.05f, .momentum = 0.9f});
}

// ---- Randomised networks ---------------------------------------------------------------------
// Shapes are drawn from a fixed seed by a constexpr generator: at compile time to instantiate the
// generated types, and again at run time to write the engine's spec strings, which must match.

namespace {

struct RandomShape {
  std::size_t hidden = 0;                // hidden layers, 1 to 4
  std::array<std::size_t, 6> widths{};   // input, hidden..., classes
  std::array<std::size_t, 4> activations{};
};

constexpr std::uint64_t splitmix(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

constexpr RandomShape random_shape(std::uint64_t seed, std::size_t index) {
  std::uint64_t state = seed * 1000 + index;
  RandomShape shape;
  shape.hidden = 1 + splitmix(state) % 4;
  for (std::size_t i = 0; i <= shape.hidden; ++i) shape.widths[i] = 1 + splitmix(state) % 300;
  shape.widths[shape.hidden + 1] = 2 + splitmix(state) % 199;  // classes: labels are bytes
  for (std::size_t i = 0; i < shape.hidden; ++i) shape.activations[i] = splitmix(state) % 4;
  return shape;
}

using ActivationTags = std::tuple<ReLU, Linear, Sigmoid, Tanh>;
constexpr const char* activation_specs[] = {"relu", "linear", "sigmoid", "tanh"};
constexpr std::uint64_t shape_seed = 2026;

template <RandomShape S, std::size_t... I>
auto random_net(std::index_sequence<I...>)
    -> Net<Dense<S.widths[I], S.widths[I + 1], std::tuple_element_t<S.activations[I], ActivationTags>>...,
           Softmax<S.widths[S.hidden + 1]>>;

template <std::size_t Index>
using RandomNet = decltype(random_net<random_shape(shape_seed, Index)>(
    std::make_index_sequence<random_shape(shape_seed, Index).hidden>{}));

// The engine's spec, written from the shape drawn at run time.
std::string spec_of(const RandomShape& shape) {
  std::string spec = std::to_string(shape.widths[0]);
  for (std::size_t i = 0; i < shape.hidden; ++i)
    spec.append("-").append(std::to_string(shape.widths[i + 1])).append(":").append(activation_specs[shape.activations[i]]);
  return spec.append("-").append(std::to_string(shape.widths[shape.hidden + 1])).append(":softmax");
}

template <std::size_t Index>
void check_random_net() {
  using N = RandomNet<Index>;
  const RandomShape shape = random_shape(shape_seed, Index);  // drawn again, at run time
  INFO("random network " << Index);
  REQUIRE(spec_of(shape) == N::spec());
  check_twins<N, 16>(100 + Index, 12);
}

}  // namespace

TEST_CASE("randomised networks (1-4 hidden layers, widths 1-300) agree on both backends") {
  [&]<std::size_t... I>(std::index_sequence<I...>) { (check_random_net<I>(), ...); }(std::make_index_sequence<8>{});
}

TEST_CASE("fit, evaluate and predict run the same loop on both backends") {
  using N = OddNet;
  const testing::Batch data = testing::random_batch(300, N::input_size, N::output_size, 11);
  const testing::Batch validation = testing::random_batch(50, N::input_size, N::output_size, 12);
  Model<N> generated{Seed{9}};
  engine::Network generic{N::spec(), Seed{9}};
  const FitOptions options{.epochs = 3, .optimizer = SGD{.learning_rate = 0.05f, .momentum = 0.9f},
                           .validation = validation.view(), .seed = 5, .verbose = false};
  const History a = fit<32>(generated, data.view(), options);
  const History b = fit<32>(generic, data.view(), options);
  REQUIRE(a.loss.size() == 3);
  REQUIRE(b.loss.size() == 3);
  for (std::size_t e = 0; e < 3; ++e) {
    CHECK(reference::relative_difference(a.loss[e], b.loss[e]) == 0.0);
    CHECK(reference::relative_difference(a.val_loss[e], b.val_loss[e]) == 0.0);
    CHECK(a.accuracy[e] == b.accuracy[e]);
  }
  check_same_weights(generated, generic, weight_tolerance);

  // A batch size chosen at run time gives the same run as the same size fixed at compile time.
  engine::Network runtime_batch{N::spec(), Seed{9}};
  const History c = engine::fit(runtime_batch, data.view(), 32, options);
  CHECK(c.loss == b.loss);

  const std::vector<float> p_a = predict(generated, validation.view());
  const std::vector<float> p_b = predict(generic, validation.view());
  CHECK(worst_difference(p_a, p_b) <= forward_tolerance);
  CHECK(reference::relative_difference(evaluate(generated, validation.view()).loss,
                                       evaluate(generic, validation.view()).loss) == 0.0);
}

TEST_CASE("smoothed cross-entropy and squared error train the same on both backends") {
  using N = BatchNormNet;
  const testing::Batch data = testing::random_batch(300, N::input_size, N::output_size, 13);
  for (const Loss& loss : {Loss{CategoricalCrossentropy{.label_smoothing = 0.1}}, Loss{MeanSquaredError{}}}) {
    INFO(loss_name(loss));
    Model<N> generated{Seed{10}};
    engine::Network generic{N::spec(), Seed{10}};
    const FitOptions options{.epochs = 2, .optimizer = Adam{}, .loss = loss, .validation_split = 0.2, .seed = 8,
                             .verbose = false};
    const History a = fit<32>(generated, data.view(), options);
    const History b = fit<32>(generic, data.view(), options);
    for (std::size_t e = 0; e < 2; ++e) {
      CHECK(reference::relative_difference(a.loss[e], b.loss[e]) == 0.0);
      CHECK(reference::relative_difference(a.val_loss[e], b.val_loss[e]) == 0.0);
    }
    check_same_weights(generated, generic, weight_tolerance);
  }
}
