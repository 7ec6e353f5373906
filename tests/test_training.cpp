// fit() and the optimisers against a double-precision reference that trains the same network with
// gradients from finite differences and Keras's update formulas.
#include <catch2/catch.hpp>
#include <cmath>
#include <ctnn/ctnn.hpp>
#include <limits>

#include "dense_views.hpp"
#include "parameter_bits.hpp"
#include "reference_mlp.hpp"
#include "test_data.hpp"

using namespace ctnn;
using Catch::Matchers::Contains;

namespace {

using Small = Net<Dense<5, 4, Tanh>, Dense<4, 6, ReLU, L2<0.01f>>, Softmax<3>>;

// Every parameter of the reference, in a fixed order, for updates.
std::vector<double*> parameters_of(reference::Mlp& mlp) {
  std::vector<double*> all;
  for (auto& layer : mlp.layers) {
    for (double& w : layer.w) all.push_back(&w);
    for (double& b : layer.b) all.push_back(&b);
  }
  return all;
}

// `steps` full-batch steps of a Keras optimiser on the reference, gradients by central
// differences, each update written out in double as Keras's optimizers/*.py write it.
void reference_train(reference::Mlp& mlp, const testing::Batch& batch, const Optimizer& optimizer, int steps) {
  const auto x = batch.x_double();
  const auto labels = batch.labels_int();
  std::vector<double*> params = parameters_of(mlp);
  const std::size_t n = params.size();
  std::vector<double> gradient(n), s1(n, 0.0), s2(n, 0.0), s3(n, 0.0);  // optimiser state
  for (int t = 1; t <= steps; ++t) {
    for (std::size_t i = 0; i < n; ++i) {
      const double saved = *params[i], h = 1e-6;
      *params[i] = saved + h;
      const double up = mlp.loss(x, labels);
      *params[i] = saved - h;
      const double down = mlp.loss(x, labels);
      *params[i] = saved;
      gradient[i] = (up - down) / (2 * h);
    }
    for (std::size_t i = 0; i < n; ++i) {
      double& w = *params[i];
      const double g = gradient[i];
      if (const auto* sgd = std::get_if<SGD>(&optimizer)) {
        const double lr = sgd->learning_rate, momentum = sgd->momentum;
        s1[i] = momentum * s1[i] - lr * g;
        w += sgd->nesterov ? momentum * s1[i] - lr * g : s1[i];
      } else if (const auto* rms = std::get_if<RMSprop>(&optimizer)) {
        const double rho = rms->rho;
        s1[i] = rho * s1[i] + (1 - rho) * g * g;
        double denominator = s1[i] + rms->epsilon;
        if (rms->centered) {
          s3[i] = rho * s3[i] + (1 - rho) * g;
          denominator -= s3[i] * s3[i];
        }
        const double increment = rms->learning_rate * g / std::sqrt(denominator);
        if (rms->momentum > 0) {
          s2[i] = rms->momentum * s2[i] + increment;
          w -= s2[i];
        } else {
          w -= increment;
        }
      } else {
        const Adam& adam = std::get<Adam>(optimizer);
        const double b1 = adam.beta_1, b2 = adam.beta_2;
        s1[i] += (g - s1[i]) * (1 - b1);
        s2[i] += (g * g - s2[i]) * (1 - b2);
        s3[i] = std::max(s3[i], s2[i]);
        const double alpha = adam.learning_rate * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
        w -= alpha * s1[i] / (std::sqrt(adam.amsgrad ? s3[i] : s2[i]) + adam.epsilon);
      }
    }
  }
}

double max_parameter_difference(reference::Mlp& a, reference::Mlp& b) {
  auto pa = parameters_of(a), pb = parameters_of(b);
  double worst = 0.0;
  for (std::size_t i = 0; i < pa.size(); ++i) worst = std::max(worst, std::abs(*pa[i] - *pb[i]));
  return worst;
}

template <class N>
bool same_weights(const Model<N>& a, const Model<N>& b) {
  bool same = true;
  for (std::size_t l = 0; l < testing::depth(a); ++l) {
    const auto ka = testing::kernel(a, l), kb = testing::kernel(b, l);
    for (std::size_t i = 0; i < ka.rows; ++i)
      for (std::size_t o = 0; o < ka.cols; ++o) same = same && ka(i, o) == kb(i, o);
    same = same && std::ranges::equal(testing::bias(a, l), testing::bias(b, l));
  }
  return same;
}

// Three full-batch steps of each optimiser, checked against the reference.
void check_optimizer_steps(const Optimizer& optimizer, double tolerance) {
  const testing::Batch batch = testing::random_batch(8, 5, 3, 21);
  Model<Small> model{Seed{3}};
  reference::Mlp expected = reference::from_model(model);
  // One batch of all 8 samples per epoch, so each epoch is exactly one step.
  fit<8>(model, batch.view(), {.epochs = 3, .optimizer = optimizer, .shuffle = false, .verbose = false});
  reference_train(expected, batch, optimizer, 3);
  reference::Mlp trained = reference::from_model(model);
  CHECK(max_parameter_difference(trained, expected) < tolerance);
  // The steps moved the weights far more than the tolerance: the check can fail.
  reference::Mlp initial = reference::from_model(Model<Small>{Seed{3}});
  CHECK(max_parameter_difference(trained, initial) > 100 * tolerance);
}

}  // namespace

TEST_CASE("SGD steps match Keras's formulas") {
  for (const SGD sgd : {SGD{.learning_rate = 0.5f}, SGD{.learning_rate = 0.2f, .momentum = 0.9f},
                        SGD{.learning_rate = 0.2f, .momentum = 0.9f, .nesterov = true}}) {
    INFO("momentum " << sgd.momentum << ", nesterov " << sgd.nesterov);
    check_optimizer_steps(sgd, 2e-5);
  }
}

TEST_CASE("RMSprop steps match Keras's formulas") {
  for (const RMSprop rmsprop : {RMSprop{}, RMSprop{.learning_rate = 0.01f, .rho = 0.8f, .momentum = 0.9f},
                                RMSprop{.learning_rate = 0.01f, .epsilon = 1e-3f, .centered = true}}) {
    INFO("momentum " << rmsprop.momentum << ", centered " << rmsprop.centered);
    check_optimizer_steps(rmsprop, 2e-6);
  }
}

TEST_CASE("Adam steps match Keras's formulas, bias correction included") {
  for (const Adam adam : {Adam{}, Adam{.learning_rate = 0.01f, .beta_1 = 0.5f, .beta_2 = 0.9f},
                          Adam{.learning_rate = 0.01f, .amsgrad = true}}) {
    INFO("beta_1 " << adam.beta_1 << ", amsgrad " << adam.amsgrad);
    check_optimizer_steps(adam, 2e-6);
  }
}

TEST_CASE("Keras's defaults") {
  const RMSprop rmsprop;
  CHECK((rmsprop.learning_rate == 0.001f && rmsprop.rho == 0.9f && rmsprop.momentum == 0.0f &&
         rmsprop.epsilon == 1e-7f && !rmsprop.centered));
  const Adam adam;
  CHECK((adam.learning_rate == 0.001f && adam.beta_1 == 0.9f && adam.beta_2 == 0.999f && adam.epsilon == 1e-7f &&
         !adam.amsgrad));
  const SGD sgd;
  CHECK((sgd.learning_rate == 0.01f && sgd.momentum == 0.0f && !sgd.nesterov));
}

TEST_CASE("optimiser coefficients out of range are named") {
  const testing::Batch batch = testing::random_batch(8, 5, 3, 21);
  Model<Small> model;
  auto fit_with = [&](Optimizer optimizer) { fit<8>(model, batch.view(), {.optimizer = optimizer, .verbose = false}); };
  CHECK_THROWS_WITH(fit_with(Adam{.beta_2 = 1.0f}), Contains("Adam::beta_2 must be in [0, 1), not 1"));
  CHECK_THROWS_WITH(fit_with(RMSprop{.epsilon = 0.0f}), Contains("RMSprop::epsilon must be positive"));
  CHECK_THROWS_WITH(fit_with(SGD{.momentum = -0.5f}), Contains("SGD::momentum must be in [0, 1)"));
  CHECK_THROWS_WITH(fit_with(Adam{.learning_rate = 0.0f}), Contains("learning rate must be a positive number"));
}

TEST_CASE("the same seeds give the same weights, other seeds others") {
  const testing::Batch batch = testing::random_batch(300, 5, 3, 22);
  auto train = [&](std::uint64_t model_seed, std::uint64_t shuffle_seed) {
    Model<Small> model{Seed{model_seed}};
    fit<32>(model, batch.view(), {.epochs = 2, .seed = shuffle_seed, .verbose = false});
    return model;
  };
  const Model<Small> first = train(1, 7);
  CHECK(same_weights(first, train(1, 7)));
  CHECK_FALSE(same_weights(first, train(1, 8)));
  CHECK_FALSE(same_weights(first, train(2, 7)));
}

TEST_CASE("the loss reported per epoch is the loss of the weights it was computed on") {
  // With a learning rate of zero nothing moves: the epoch's loss must equal evaluate()'s.
  const testing::Batch batch = testing::random_batch(100, 5, 3, 23);
  Model<Small> model{Seed{4}};
  const History history =
      fit<16>(model, batch.view(), {.epochs = 1, .optimizer = SGD{.learning_rate = 1e-30f}, .validation = batch.view(),
                                    .verbose = false});
  const Evaluation evaluation = evaluate(model, batch.view());
  const reference::Mlp mlp = reference::from_model(model);
  CHECK(history.loss[0] == Approx(evaluation.loss).epsilon(1e-5));
  CHECK(history.val_loss[0] == Approx(mlp.loss(batch.x_double(), batch.labels_int())).epsilon(1e-5));
  CHECK(history.accuracy[0] == Approx(evaluation.accuracy));
  CHECK(history.epochs() == 1);
  CHECK(history.seconds.size() == 1);
}

TEST_CASE("NaN or Inf in the data is refused before training, naming the sample") {
  testing::Batch batch = testing::random_batch(64, 5, 3, 24);
  batch.x[40 * 5 + 2] = std::numeric_limits<float>::quiet_NaN();
  Model<Small> model{Seed{5}};
  CHECK_THROWS_WITH(fit<16>(model, batch.view(), {.verbose = false}), Contains("test batch") && Contains("sample 40") &&
                                                                           Contains("nan") && Contains("position 2"));
}

TEST_CASE("a diverging loss stops training with the epoch and batch") {
  const testing::Batch batch = testing::random_batch(64, 5, 3, 26);
  Model<Net<Dense<5, 4, Linear>, Softmax<3>>> model{Seed{6}};
  try {
    fit<16>(model, batch.view(), {.epochs = 50, .optimizer = SGD{.learning_rate = 1e37f}, .verbose = false});
    FAIL("training with a learning rate of 1e37 did not diverge");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), Contains("the loss became") && Contains("in epoch ") && Contains(" of 4") &&
                             Contains("lower the learning rate"));
  }
}

TEST_CASE("a loss that is not finite stops training before the step updates any weight, on both backends") {
  const testing::Batch batch = testing::random_batch(64, 5, 3, 26);
  using Linear2 = Net<Dense<5, 4, Linear>, Softmax<3>>;
  Model<Linear2> model{Seed{6}};
  engine::Network twin{Linear2::spec(), Seed{6}};
  // An infinite weight makes the logits inf - inf: the first step's loss is NaN.
  testing::kernel(model, 0)(1, 2) = std::numeric_limits<float>::infinity();
  testing::kernel(twin, 0)(1, 2) = std::numeric_limits<float>::infinity();
  const auto before = testing::parameter_bits(model);
  REQUIRE(before == testing::parameter_bits(twin));
  CHECK_THROWS_WITH(fit<16>(model, batch.view(), {.optimizer = Adam{}, .verbose = false}),
                    Contains("the loss became") && Contains("nan in epoch 1, batch 1 of 4"));
  CHECK_THROWS_WITH(fit<16>(twin, batch.view(), {.optimizer = Adam{}, .verbose = false}),
                    Contains("the loss became") && Contains("nan in epoch 1, batch 1 of 4"));
  CHECK(testing::parameter_bits(model) == before);
  CHECK(testing::parameter_bits(twin) == before);
}

TEST_CASE("a gradient that overflows under a finite loss is not applied and stops training, on both backends") {
  // Inputs of 3e38 through a kernel of 1e-37 give a hidden value of 30 and a finite loss (16.1: the
  // probabilities are clipped at 1e-7, as Keras does);
  // the hidden kernel's gradient, the input times the hidden delta of 2 summed over the batch, is Inf.
  using Overflowing = Net<Dense<1, 1, Linear>, Softmax<2>>;
  const std::vector<float> x(4, 3e38f);
  const std::vector<std::uint8_t> labels(4, 1);
  const DatasetView data{x.data(), labels.data(), 4, 1, "huge inputs", "labels"};
  Model<Overflowing> model{Seed{1}};
  engine::Network twin{Overflowing::spec(), Seed{1}};
  const auto set_weights = [](auto& network) {
    testing::kernel(network, 0)(0, 0) = 1e-37f;
    testing::kernel(network, 1)(0, 0) = 1.0f;
    testing::kernel(network, 1)(0, 1) = -1.0f;
  };
  set_weights(model), set_weights(twin);
  for (const bool generated : {true, false}) {
    INFO((generated ? "generated backend" : "engine"));
    try {
      if (generated) fit<4>(model, data, {.optimizer = Adam{}, .verbose = false});
      else fit<4>(twin, data, {.optimizer = Adam{}, .verbose = false});
      FAIL("the Inf gradient went unnoticed");
    } catch (const Error& e) {
      CHECK_THAT(e.what(), Contains("a gradient became NaN or Inf in epoch 1, batch 1 of 1 although the loss was finite (16.1"));
    }
  }
  // The hidden kernel kept its value; every parameter is finite; both backends agree bit for bit.
  CHECK(testing::kernel(model, 0)(0, 0) == 1e-37f);
  for (const float value : io::snapshot(model).parameters) CHECK(std::isfinite(value));
  CHECK(testing::parameter_bits(model) == testing::parameter_bits(twin));
  CHECK(testing::kernel(model, 1)(0, 0) != 1.0f);  // the output layer's finite gradient was applied
}

TEST_CASE("a step run in phases, with a gradient exchange between backward and update, gives the fused step's numbers") {
  using Phased = Net<Dense<20, 24, Linear>, BatchNorm<>, Activation<ReLU>, Dropout<0.3>, Dense<24, 4>, Softmax<4>>;
  const testing::Batch batch = testing::random_batch(200, 20, 4, 41);  // 7 batches of 32 per epoch
  const FitOptions fused{.epochs = 2, .optimizer = Adam{}, .validation = batch.view(), .seed = 3, .verbose = false};
  FitOptions phased = fused;
  std::size_t exchanges = 0;
  phased.gradient_exchange = [&](std::span<float> gradients) {
    ++exchanges;
    CHECK(gradients.size() == Phased::parameter_floats);
  };
  Model<Phased> model{Seed{2}}, phased_model{Seed{2}};
  const History history = fit<32>(model, batch.view(), fused);
  const History phased_history = fit<32>(phased_model, batch.view(), phased);
  CHECK(exchanges == 14);
  CHECK(testing::parameter_bits(phased_model) == testing::parameter_bits(model));
  CHECK(phased_history.loss == history.loss);
  CHECK(phased_history.val_accuracy == history.val_accuracy);
  engine::Network twin{Phased::spec(), Seed{2}};
  fit<32>(twin, batch.view(), phased);
  CHECK(testing::parameter_bits(twin) == testing::parameter_bits(model));

  // An exchange that doubles every gradient trains, with plain SGD, as the fused step at twice the rate.
  FitOptions doubled_gradients{.epochs = 2, .optimizer = SGD{.learning_rate = 0.01f}, .seed = 3, .verbose = false};
  doubled_gradients.gradient_exchange = [](std::span<float> gradients) {
    for (float& g : gradients) g *= 2.0f;
  };
  const FitOptions doubled_rate{.epochs = 2, .optimizer = SGD{.learning_rate = 0.02f}, .seed = 3, .verbose = false};
  Model<Phased> by_gradients{Seed{2}}, by_rate{Seed{2}};
  fit<32>(by_gradients, batch.view(), doubled_gradients);
  fit<32>(by_rate, batch.view(), doubled_rate);
  CHECK(testing::parameter_bits(by_gradients) == testing::parameter_bits(by_rate));
  CHECK(testing::parameter_bits(by_gradients) != testing::parameter_bits(Model<Phased>{Seed{2}}));
}

TEST_CASE("a bad learning rate is refused") {
  const testing::Batch batch = testing::random_batch(8, 5, 3, 25);
  Model<Small> model;
  CHECK_THROWS_WITH(fit<8>(model, batch.view(), {.optimizer = SGD{.learning_rate = -1.0f}, .verbose = false}),
                    Contains("learning rate"));
}

TEST_CASE("the seed network learns Fashion-MNIST in two epochs") {
  using SeedNet = Net<Dense<784, 400, ReLU>, Dense<400, 20>, Softmax<10>>;
  const TrainTestData data = io::load_idx();
  Model<SeedNet> model{Seed{42}};
  const History history = fit<200>(model, data.train, {.epochs = 2, .optimizer = SGD{.learning_rate = 0.01f},
                                                       .validation = data.test, .verbose = false});
  CHECK(history.loss[1] < history.loss[0]);
  CHECK(evaluate(model, data.test).accuracy > 0.75);
  CHECK(history.val_accuracy[1] == evaluate(model, data.test).accuracy);
}

TEST_CASE("one Keras-style line per epoch when the log is not a terminal") {
  const testing::Batch batch = testing::random_batch(40, 5, 3, 27);
  std::FILE* log = std::tmpfile();
  REQUIRE(log != nullptr);
  Model<Small> model{Seed{8}};
  const History history = fit<16>(model, batch.view(), {.epochs = 2, .validation = batch.view(), .log = log});
  std::rewind(log);
  std::string text;
  for (int c; (c = std::fgetc(log)) != EOF;) text += char(c);
  std::fclose(log);

  char expected[256];
  std::snprintf(expected, sizeof expected, "Epoch 2/2 - %.2fs - loss: %.4f - accuracy: %.4f - val_loss: %.4f - val_accuracy: %.4f\n",
                history.seconds[1], history.loss[1], history.accuracy[1], history.val_loss[1], history.val_accuracy[1]);
  CHECK(std::count(text.begin(), text.end(), '\n') == 2);
  CHECK(text.find("Epoch 1/2 - ") == 0);
  CHECK(text.find('\r') == std::string::npos);  // no progress bar outside a terminal
  CHECK(text.substr(text.find("Epoch 2/2")) == expected);
}

TEST_CASE("a shuffled split holds out the asked number of samples, the same ones for the same seed") {
  // Sample i holds the value i in each of its 3 features, and the label i % 10.
  Dataset data;
  data.count = 1000, data.features = 3, data.images_source = "images.idx";
  for (std::size_t i = 0; i < data.count; ++i) {
    data.images.insert(data.images.end(), 3, float(i));
    data.labels.push_back(std::uint8_t(i % 10));
  }
  const DatasetSplit split = shuffled_split(data, 200, Seed{5});
  REQUIRE(split.train.count == 800);
  REQUIRE(split.validation.count == 200);
  // Every sample lands in exactly one part, whole, in the original order.
  std::vector<int> seen(data.count, 0);
  std::array<std::size_t, 10> validation_per_class{};
  for (const Dataset* part : {&split.train, &split.validation}) {
    REQUIRE(part->images.size() == part->count * 3);
    float previous = -1.0f;
    for (std::size_t i = 0; i < part->count; ++i) {
      const float index = part->sample(i)[0];
      CHECK(part->sample(i)[2] == index);
      CHECK(index > previous);
      previous = index;
      CHECK(part->labels[i] == std::size_t(index) % 10);
      ++seen[std::size_t(index)];
      if (part == &split.validation) ++validation_per_class[part->labels[i]];
    }
  }
  CHECK(std::ranges::all_of(seen, [](int n) { return n == 1; }));
  // Drawn, not the first or last rows: every class is held out near its share of 20.
  for (std::size_t n : validation_per_class) CHECK((n >= 8 && n <= 34));
  CHECK(shuffled_split(data, 200, Seed{5}).validation.images == split.validation.images);
  CHECK(shuffled_split(data, 200, Seed{6}).validation.images != split.validation.images);
  CHECK_THROWS_WITH(shuffled_split(data, 1000, Seed{5}),
                    "shuffled_split: cannot hold out 1000 of the 1000 samples of images.idx for validation (at least "
                    "1, and fewer than all)");
}

TEST_CASE("a stratified split holds out each class in proportion, largest remainders first") {
  // 7 classes of 300, 250, 150, 120, 100, 50 and 30 samples (1,000 in all), interleaved; sample i holds i.
  const std::array<std::size_t, 7> sizes{300, 250, 150, 120, 100, 50, 30};
  Dataset data;
  data.features = 1, data.images_source = "images.idx";
  std::array<std::size_t, 7> left = sizes;
  while (data.count < 1000)
    for (std::size_t c = 0; c < 7; ++c)
      if (left[c] > 0) --left[c], data.images.push_back(float(data.count++)), data.labels.push_back(std::uint8_t(c));
  // Holding out 123: shares 36.9, 30.75, 18.45, 14.76, 12.3, 6.15, 3.69 -> 36, 30, 18, 14, 12, 6, 3 (119), and
  // the 4 missing to the largest remainders .9, .76, .75, .69: classes 0, 3, 1, 6.
  const std::array<std::size_t, 7> expected{37, 31, 18, 15, 12, 6, 4};
  const DatasetSplit split = stratified_split(data, 123, Seed{9});
  REQUIRE(split.validation.count == 123);
  REQUIRE(split.train.count == 877);
  std::array<std::size_t, 7> held{};
  std::vector<int> seen(1000, 0);
  for (const Dataset* part : {&split.train, &split.validation})
    for (std::size_t i = 0; i < part->count; ++i) {
      CHECK(data.labels[std::size_t(part->sample(i)[0])] == part->labels[i]);
      CHECK((i == 0 || part->sample(i)[0] > part->sample(i - 1)[0]));
      ++seen[std::size_t(part->sample(i)[0])];
      if (part == &split.validation) ++held[part->labels[i]];
    }
  CHECK(held == expected);
  CHECK(std::ranges::all_of(seen, [](int n) { return n == 1; }));
  CHECK(stratified_split(data, 123, Seed{9}).validation.images == split.validation.images);
  CHECK(stratified_split(data, 123, Seed{10}).validation.images != split.validation.images);
  CHECK_THROWS_WITH(stratified_split(data, 0, Seed{9}), Catch::Matchers::Contains("stratified_split: cannot hold out 0"));
}
