// Dropout<rate>: the masks' statistics, training-only behaviour, reproducibility, and agreement
// of both backends. (Gradients through dropout are checked against finite differences in
// test_gradients.cpp.)
#include <catch2/catch.hpp>
#include <cmath>
#include <ctnn/ctnn.hpp>

#include "parameter_bits.hpp"
#include "test_data.hpp"

using namespace ctnn;
using Catch::Matchers::Contains;

namespace {

using Dropped = Net<Dense<30, 400, ReLU>, Dropout<0.3>, Dense<400, 50, Tanh>, Dropout<0.5>, Softmax<10>>;
using Plain = Net<Dense<30, 400, ReLU>, Dense<400, 50, Tanh>, Softmax<10>>;
constexpr std::size_t batch_rows = 200;

// The mask of the last step's Dropout layer `layer`: its scratch buffer, shaped as its output.
template <std::size_t Layer, class Step>
std::vector<float> mask_of(Step& step) {
  const auto output = step.output(Layer, batch_rows);
  std::vector<float> values;
  for (std::size_t r = 0; r < output.rows; ++r)
    for (std::size_t c = 0; c < output.cols; ++c) values.push_back(step.scratch(Layer, 0)[r * output.stride + c]);
  return values;
}

}  // namespace

TEST_CASE("masks drop the given fraction and scale the rest by 1 / (1 - rate)") {
  Model<Dropped> model{Seed{1}};
  TrainingStep<Dropped, batch_rows> step(model);
  step.seed_dropout(7);
  const testing::Batch batch = testing::random_batch(batch_rows, 30, 10, 2);
  step.load_batch(batch.x.data(), batch.labels.data(), testing::first_indices(batch_rows));
  step.compute_gradients(batch_rows);
  for (const auto& [values, rate] : {std::pair{mask_of<1>(step), 0.3}, std::pair{mask_of<3>(step), 0.5}}) {
    const auto scale = float(1.0 / (1.0 - rate));
    std::size_t dropped = 0, other = 0;
    for (float m : values) {
      dropped += m == 0.0f;
      other += m != 0.0f && m != 1.0f / (1.0f - float(rate));
    }
    INFO("rate " << rate << ", scale " << scale);
    CHECK(other == 0);
    // 80,000 and 10,000 draws: the fraction is within 6 standard deviations of the rate.
    const double fraction = double(dropped) / double(values.size());
    CHECK(std::abs(fraction - rate) < 6.0 * std::sqrt(rate * (1 - rate) / double(values.size())));
  }
  const std::vector<float> mask_values = mask_of<1>(step);

  // Each step draws new masks; the same seed draws the same ones again.
  step.compute_gradients(batch_rows);
  const std::vector<float> second = mask_of<1>(step);
  CHECK(second != mask_values);
  step.seed_dropout(7);
  step.compute_gradients(batch_rows);
  CHECK(mask_of<1>(step) == mask_values);
  step.seed_dropout(8);
  step.compute_gradients(batch_rows);
  CHECK(mask_of<1>(step) != mask_values);
}

TEST_CASE("dropout is off in inference: predictions equal those of the same net without it") {
  Model<Dropped> dropped{Seed{4}};
  Model<Plain> plain{Seed{4}};  // the same layers with weights, so the same initial weights
  CHECK(testing::parameter_bits(dropped) == testing::parameter_bits(plain));
  const testing::Batch batch = testing::random_batch(300, 30, 10, 5);
  std::vector<float> p_dropped(300 * 10), p_plain(300 * 10);
  dropped.predict(batch.x.data(), 300, p_dropped.data());
  plain.predict(batch.x.data(), 300, p_plain.data());
  CHECK(p_dropped == p_plain);
  CHECK(evaluate(dropped, batch.view()).loss == evaluate(plain, batch.view()).loss);
  // Training differs: the dropped net's steps see other activations.
  fit<50>(dropped, batch.view(), {.epochs = 1, .verbose = false});
  fit<50>(plain, batch.view(), {.epochs = 1, .verbose = false});
  CHECK(testing::parameter_bits(dropped) != testing::parameter_bits(plain));
}

TEST_CASE("training with dropout is reproducible, the same on both backends and on any thread count") {
  const testing::Batch batch = testing::random_batch(500, 30, 10, 6);
  auto train = [&](auto& model, std::size_t threads, std::uint64_t seed) {
    return fit<64>(model, batch.view(),
                   {.epochs = 2, .optimizer = RMSprop{}, .seed = seed, .threads = threads, .verbose = false});
  };
  Model<Dropped> one{Seed{9}}, two{Seed{9}}, three{Seed{9}}, other_seed{Seed{9}};
  engine::Network generic{Dropped::spec(), Seed{9}};
  const History history = train(one, 1, 3);
  train(two, 2, 3);
  train(three, 3, 3);
  const History generic_history = train(generic, 2, 3);
  train(other_seed, 1, 4);
  CHECK(testing::parameter_bits(two) == testing::parameter_bits(one));
  CHECK(testing::parameter_bits(three) == testing::parameter_bits(one));
  CHECK(testing::parameter_bits(generic) == testing::parameter_bits(one));
  CHECK(generic_history.loss == history.loss);
  CHECK(testing::parameter_bits(other_seed) != testing::parameter_bits(one));
}

TEST_CASE("dropout in engine specs") {
  CHECK(Dropped::spec() == "30-400:relu:dropout=0.3-50:tanh:dropout=0.5-10:softmax");
  CHECK(Dropped::architecture() == "30-400:relu-50:tanh-10:softmax");  // a trained model is the same function
  CHECK(Dropped::describe() == "Net<Dense<30, 400, ReLU>, Dropout<0.3>, Dense<400, 50, Tanh>, Dropout<0.5>, Softmax<10>>");
  const engine::NetworkSpec spec = engine::parse_spec("784-64:relu:dropout=0.2-10:softmax");
  REQUIRE(spec.layers.size() == 3);
  CHECK(spec.layers[1]->as<layers::Dropout>()->rate == 0.2f);
  CHECK(spec.to_string() == "784-64:relu:dropout=0.2-10:softmax");
  CHECK_THROWS_WITH(engine::parse_spec("784-64:dropout=1-10:softmax"), Contains("in [0, 1)"));
  CHECK_THROWS_WITH(engine::parse_spec("784-64:dropout=0.1:dropout=0.2-10:softmax"), Contains("one dropout"));
  CHECK_THROWS_WITH(engine::parse_spec("784-64-10:softmax:dropout=0.5"), Contains("after the output layer"));
  CHECK_THROWS_WITH(engine::parse_spec("784-64:dropout-10:softmax"), Contains("needs a value"));
  using Active = Net<Dense<784, 64, ReLU, ActivityL1<1e-4>>, Dropout<0.5>, Softmax<10>>;
  CHECK(Active::spec() == "784-64:relu:activity_l1=1e-04:dropout=0.5-10:softmax");
  CHECK(engine::parse_spec(Active::spec()).to_string() == Active::spec());
  CHECK(Active::describe() == "Net<Dense<784, 64, ReLU, ActivityL1<1e-04>>, Dropout<0.5>, Softmax<10>>");
}
