// The losses: hand-computed values and output gradients, evaluate() against the double reference,
// the equivalence of unsmoothed categorical and sparse cross-entropy, training with each loss, and
// the errors. Gradients through whole networks are checked by finite differences in test_gradients.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include <cmath>
#include <limits>

#include "parameter_bits.hpp"
#include "reference_mlp.hpp"
#include "test_data.hpp"

using namespace ctnn;
using Catch::Matchers::Contains;

namespace {

constexpr std::size_t stride = 16;  // a padded row of three classes, as the kernels see it

struct HandBatch {
  alignas(64) float probabilities[2 * stride] = {0.7f, 0.2f, 0.1f};
  alignas(64) float delta[2 * stride];
  std::int32_t labels[2] = {0, 2};
  HandBatch() {
    const float second[] = {0.25f, 0.25f, 0.5f};
    std::copy(std::begin(second), std::end(second), probabilities + stride);
    std::fill(std::begin(delta), std::end(delta), std::numeric_limits<float>::quiet_NaN());
  }
  codegen::LossSums run(const Loss& loss) {
    return codegen::loss_delta(loss, std::size_t{3}, std::size_t{stride}, probabilities, labels, 2, delta);
  }
  void check_delta(const double (&expected)[2][3]) const {
    for (std::size_t r = 0; r < 2; ++r) {
      for (std::size_t c = 0; c < 3; ++c) CHECK(delta[r * stride + c] == Approx(expected[r][c]).margin(1e-7));
      for (std::size_t c = 3; c < stride; ++c) CHECK(delta[r * stride + c] == 0.0f);  // the padding stays zero
    }
  }
};

// Samples whose label is the largest of three blocks of features: a problem every loss can learn.
testing::Batch block_problem(std::size_t rows, std::uint64_t seed) {
  testing::Batch batch = testing::random_batch(rows, 12, 3, seed);
  for (std::size_t r = 0; r < rows; ++r) {
    float* x = batch.x.data() + r * 12;
    const std::size_t label = batch.labels[r];
    for (std::size_t f = 4 * label; f < 4 * label + 4; ++f) x[f] += 0.6f;
  }
  return batch;
}

}  // namespace

TEST_CASE("each loss on a batch of two, by hand: values and dL/dz of the batch mean") {
  // Rows p = (0.7, 0.2, 0.1) with label 0 and p = (0.25, 0.25, 0.5) with label 2.
  HandBatch batch;
  SECTION("sparse categorical cross-entropy: -log p(label); dz = (p - onehot) / 2") {
    const codegen::LossSums sums = batch.run(SparseCategoricalCrossentropy{});
    CHECK(sums.loss == Approx(-std::log(0.7) - std::log(0.5)).epsilon(1e-6));
    CHECK(sums.correct == 2);
    batch.check_delta({{-0.15, 0.1, 0.05}, {0.125, 0.125, -0.25}});
  }
  SECTION("categorical cross-entropy with label smoothing 0.3: targets 0.8 and 0.1") {
    const codegen::LossSums sums = batch.run(CategoricalCrossentropy{.label_smoothing = 0.3});
    // -(0.8 log 0.7 + 0.1 log 0.2 + 0.1 log 0.1) + -(0.1 log 0.25 + 0.1 log 0.25 + 0.8 log 0.5)
    CHECK(sums.loss == Approx(0.6765422557 + 0.8317766167).epsilon(1e-6));
    batch.check_delta({{-0.05, 0.05, 0.0}, {0.075, 0.075, -0.15}});
  }
  SECTION("mean squared error: mean over classes of (p - onehot)^2, back through softmax") {
    const codegen::LossSums sums = batch.run(MeanSquaredError{});
    CHECK(sums.loss == Approx((0.09 + 0.04 + 0.01) / 3 + (0.0625 + 0.0625 + 0.25) / 3).epsilon(1e-6));
    // g = 2 (p - y) / 3; dz_j = p_j (g_j - sum_k g_k p_k) / 2.
    batch.check_delta({{-0.0326666667, 0.024, 0.0086666667}, {0.03125, 0.03125, -0.0625}});
  }
  SECTION("unsmoothed categorical cross-entropy is sparse cross-entropy, bit for bit") {
    HandBatch sparse;
    const codegen::LossSums a = batch.run(CategoricalCrossentropy{});
    const codegen::LossSums b = sparse.run(SparseCategoricalCrossentropy{});
    CHECK(a.loss == b.loss);
    CHECK(std::equal(std::begin(batch.delta), std::end(batch.delta), std::begin(sparse.delta)));
  }
}

TEST_CASE("a sample counts as correct when its label is the first of the most probable classes") {
  alignas(64) const float tied[stride] = {0.1f, 0.4f, 0.4f, 0.1f};
  CHECK_FALSE(codegen::predicts(tied, std::size_t{4}, 0));
  CHECK(codegen::predicts(tied, std::size_t{4}, 1));  // the first of the two at 0.4, as std::max_element
  CHECK_FALSE(codegen::predicts(tied, std::size_t{4}, 2));
  alignas(64) const float last[stride] = {0.2f, 0.1f, 0.3f};
  CHECK(codegen::predicts(last, std::size_t{3}, 2));
  CHECK(codegen::predicts(last, codegen::fixed<3>{}, 2));
  alignas(64) const float one[stride] = {1.0f};
  CHECK(codegen::predicts(one, std::size_t{1}, 0));
  HandBatch batch;  // rows {0.7, 0.2, 0.1} label 0 and {0.25, 0.25, 0.5} label 2: both right
  CHECK(batch.run(SparseCategoricalCrossentropy{}).correct == 2);
  batch.labels[1] = 0;
  CHECK(batch.run(SparseCategoricalCrossentropy{}).correct == 1);
}

TEST_CASE("evaluate reports each loss as the double-precision reference computes it, on both backends") {
  using N = Net<Dense<12, 9, Tanh, L2<0.01>>, Dropout<0.3>, Dense<9, 6, Sigmoid>, Softmax<4>>;
  const testing::Batch data = testing::random_batch(300, N::input_size, N::output_size, 61);
  Model<N> generated{Seed{3}};
  engine::Network generic{N::spec(), Seed{3}};
  const reference::Mlp base = reference::from_model(generated);
  for (const Loss& loss : {Loss{SparseCategoricalCrossentropy{}}, Loss{CategoricalCrossentropy{.label_smoothing = 0.2}},
                           Loss{MeanSquaredError{}}}) {
    INFO(loss_name(loss));
    reference::Mlp mlp = base;
    if (const auto* categorical = std::get_if<CategoricalCrossentropy>(&loss)) mlp.label_smoothing = categorical->label_smoothing;
    mlp.squared_error = std::holds_alternative<MeanSquaredError>(loss);
    const double expected = mlp.loss(data.x_double(), data.labels_int());
    CHECK(reference::relative_difference(evaluate(generated, data.view(), loss).loss, expected) < 1e-5);
    CHECK(reference::relative_difference(evaluate(generic, data.view(), loss).loss, expected) < 1e-5);
  }
}

TEST_CASE("training with unsmoothed categorical cross-entropy is training with sparse, bit for bit") {
  using N = Net<Dense<12, 16, ReLU>, BatchNorm<>, Dropout<0.2>, Softmax<3>>;
  const testing::Batch data = block_problem(200, 62);
  FitOptions options{.epochs = 2, .optimizer = Adam{}, .validation_split = 0.2, .seed = 4, .verbose = false};
  Model<N> sparse{Seed{5}}, categorical{Seed{5}};
  const History a = fit<16>(sparse, data.view(), options);
  options.loss = CategoricalCrossentropy{};
  const History b = fit<16>(categorical, data.view(), options);
  CHECK(a.loss == b.loss);
  CHECK(a.val_loss == b.val_loss);
  CHECK(testing::parameter_bits(sparse) == testing::parameter_bits(categorical));
}

TEST_CASE("every loss trains a network that learns a separable problem, on both backends") {
  using N = Net<Dense<12, 16, ReLU>, Softmax<3>>;
  const testing::Batch train = block_problem(600, 63), test = block_problem(300, 64);
  for (const Loss& loss : {Loss{CategoricalCrossentropy{.label_smoothing = 0.1}}, Loss{MeanSquaredError{}}}) {
    INFO(loss_name(loss));
    const FitOptions options{.epochs = 15, .optimizer = Adam{.learning_rate = 0.01f}, .loss = loss, .seed = 6,
                             .verbose = false};
    Model<N> generated{Seed{7}};
    engine::Network generic{N::spec(), Seed{7}};
    const double untrained = evaluate(generated, test.view(), loss).loss;
    const History history = fit<32>(generated, train.view(), options);
    fit<32>(generic, train.view(), options);
    CHECK(history.loss.back() < 0.5 * history.loss.front());
    const Evaluation trained = evaluate(generated, test.view(), loss);
    CHECK(trained.loss < 0.5 * untrained);
    CHECK(trained.accuracy > 0.9);
    CHECK(reference::relative_difference(evaluate(generic, test.view(), loss).loss, trained.loss) < 1e-4);
  }
}

TEST_CASE("losses are parsed from Keras's names, and bad coefficients are refused with their name") {
  CHECK(std::holds_alternative<SparseCategoricalCrossentropy>(parse_loss("sparse_categorical_crossentropy")));
  CHECK(std::holds_alternative<MeanSquaredError>(parse_loss("mse")));
  CHECK(std::holds_alternative<MeanSquaredError>(parse_loss("mean_squared_error")));
  CHECK(std::get<CategoricalCrossentropy>(parse_loss("categorical_crossentropy")).label_smoothing == 0.0);
  CHECK(std::get<CategoricalCrossentropy>(parse_loss("categorical_crossentropy=0.1")).label_smoothing == 0.1);
  CHECK(loss_name(parse_loss("categorical_crossentropy=0.1")) == "categorical_crossentropy(label_smoothing=0.1)");
  CHECK_THROWS_WITH(parse_loss("hinge"), Contains("unknown loss 'hinge'") && Contains("mean_squared_error"));
  CHECK_THROWS_WITH(parse_loss("mse=2"), Contains("unknown loss 'mse=2'"));
  CHECK_THROWS_WITH(parse_loss("categorical_crossentropy=x"), Contains("label smoothing 'x' is not a number"));
  CHECK_THROWS_WITH(parse_loss("categorical_crossentropy=0.1x"), Contains("is not a number"));
  CHECK_THROWS_WITH(parse_loss("categorical_crossentropy=1.5"), Contains("label_smoothing must be in [0, 1], not 1.5"));

  using N = Net<Dense<12, 4, ReLU>, Softmax<3>>;
  const testing::Batch data = block_problem(40, 65);
  Model<N> model;
  const Loss negative = CategoricalCrossentropy{.label_smoothing = -0.1};
  CHECK_THROWS_WITH(fit<8>(model, data.view(), {.loss = negative, .verbose = false}),
                    Contains("label_smoothing must be in [0, 1], not -0.1"));
  CHECK_THROWS_WITH(evaluate(model, data.view(), negative), Contains("label_smoothing"));
  CHECK_THROWS_WITH(evaluate(model, data.view(), CategoricalCrossentropy{.label_smoothing = std::nan("")}),
                    Contains("label_smoothing must be in [0, 1], not nan"));
}

TEST_CASE("evaluation adds the activity penalties per batch, as Keras 3 does, and validation uses fit's batch size") {
  using Active = Net<Dense<20, 33, ReLU, ActivityL1<1e-3>>, Dropout<0.25>, Dense<33, 9, Tanh, ActivityL1<0.01>>, Softmax<3>>;
  const testing::Batch data = testing::random_batch(230, 20, 3, 17);
  Model<Active> model{Seed{8}};
  engine::Network twin{Active::spec(), Seed{8}};
  // The reference: each sample's loss from its probabilities, each sample's penalty c * sum |a| from the
  // layers' outputs (the analysis pass), the penalties summed per batch and weighted by the batch's size.
  const std::vector<float> p = predict(model, data.view());
  const std::vector<Matrix> outputs = layer_outputs(model, data.x, data.rows);
  std::vector<double> penalty(data.rows, 0.0);
  double mean_loss = 0.0;
  for (std::size_t r = 0; r < data.rows; ++r) {
    mean_loss += -std::log(double(std::clamp(p[r * 3 + data.labels[r]], 1e-7f, 1.0f - 1e-7f))) / double(data.rows);
    for (std::size_t u = 0; u < 33; ++u) penalty[r] += 1e-3 * std::abs(double(outputs[0](r, u)));
    for (std::size_t u = 0; u < 9; ++u) penalty[r] += 0.01 * std::abs(double(outputs[2](r, u)));
  }
  const auto expected = [&](std::size_t batch) {
    double weighted = 0.0;
    for (std::size_t first = 0; first < data.rows; first += batch) {
      const std::size_t rows = std::min(batch, data.rows - first);
      double sum = 0.0;
      for (std::size_t r = first; r < first + rows; ++r) sum += penalty[r];
      weighted += double(rows) * sum;
    }
    return mean_loss + weighted / double(data.rows);
  };
  for (const std::size_t batch : {std::size_t{32}, std::size_t{50}, std::size_t{1}}) {
    INFO("batch " << batch);
    CHECK(evaluate(model, data.view(), SparseCategoricalCrossentropy{}, batch).loss == Approx(expected(batch)).epsilon(1e-5));
    CHECK(evaluate(twin, data.view(), SparseCategoricalCrossentropy{}, batch).loss ==
          evaluate(model, data.view(), SparseCategoricalCrossentropy{}, batch).loss);
  }
  CHECK(evaluate(model, data.view()).loss == evaluate(model, data.view(), SparseCategoricalCrossentropy{}, 32).loss);
  // fit's validation: batches of the training's size.
  const History history = fit<50>(model, data.view(), {.epochs = 1, .validation = data.view(), .verbose = false});
  CHECK(history.val_loss[0] == evaluate(model, data.view(), SparseCategoricalCrossentropy{}, 50).loss);
  CHECK(history.val_loss[0] != evaluate(model, data.view(), SparseCategoricalCrossentropy{}, 32).loss);
}
