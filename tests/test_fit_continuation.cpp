// A second fit() on the same model continues the first, as Keras's model.fit does: the reference is one
// uninterrupted fit of as many epochs, which the two calls must match bit for bit on both backends.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include "parameter_bits.hpp"
#include "test_data.hpp"

using namespace ctnn;

namespace {

// Dropout and a batch that does not divide the rows: the masks' stream and the last short batch both continue.
using Continued = Net<Dense<20, 16, ReLU>, Dropout<0.25>, Dense<16, 12, Tanh>, Softmax<4>>;

FitOptions options_for(Optimizer optimizer, std::size_t epochs) {
  return {.epochs = epochs, .optimizer = optimizer, .seed = 7, .threads = 1, .verbose = false};
}

template <class M>
void check_two_fits_equal_one(M first_model, M second_model, const Optimizer& optimizer) {
  const testing::Batch batch = testing::random_batch(230, 20, 4, 11);
  M& uninterrupted = first_model;
  M& continued = second_model;
  const History whole = fit<32>(uninterrupted, batch.view(), options_for(optimizer, 5));
  const History part_one = fit<32>(continued, batch.view(), options_for(optimizer, 2));
  const History part_two = fit<32>(continued, batch.view(), options_for(optimizer, 3));

  CHECK(testing::parameter_bits(continued) == testing::parameter_bits(uninterrupted));
  // Each fit's History holds its own epochs, as Keras's does.
  REQUIRE(part_one.epochs() == 2);
  REQUIRE(part_two.epochs() == 3);
  CHECK(part_one.loss[1] == whole.loss[1]);
  CHECK(part_two.loss[0] == whole.loss[2]);
  CHECK(part_two.loss[2] == whole.loss[4]);
  CHECK(continued.training_progress().epochs == 5);
  CHECK(continued.training_progress().updates == 5 * 8);  // 230 rows in batches of 32: 8 updates an epoch
  CHECK(continued.training_progress().optimizer_state == uninterrupted.training_progress().optimizer_state);
}

}  // namespace

TEST_CASE("two fits continue as one: SGD with momentum, both backends") {
  const Optimizer sgd = SGD{.learning_rate = 0.05f, .momentum = 0.9f, .nesterov = true};
  check_two_fits_equal_one(Model<Continued>{Seed{3}}, Model<Continued>{Seed{3}}, sgd);
  check_two_fits_equal_one(engine::Network{Continued::spec(), Seed{3}}, engine::Network{Continued::spec(), Seed{3}}, sgd);
}

TEST_CASE("two fits continue as one: Adam keeps its moments and its step count, both backends") {
  const Optimizer adam = Adam{.learning_rate = 0.01f};
  check_two_fits_equal_one(Model<Continued>{Seed{4}}, Model<Continued>{Seed{4}}, adam);
  check_two_fits_equal_one(engine::Network{Continued::spec(), Seed{4}}, engine::Network{Continued::spec(), Seed{4}}, adam);
}

TEST_CASE("a second fit with a new learning rate keeps the optimiser's state; another optimiser starts afresh") {
  const testing::Batch batch = testing::random_batch(230, 20, 4, 12);
  Model<Continued> model{Seed{5}};
  fit<32>(model, batch.view(), options_for(Adam{.learning_rate = 0.01f}, 2));
  const std::vector<float> adam_state = model.training_progress().optimizer_state;

  // A Keras user lowers optimizer.learning_rate and calls fit again: the moments and the step count go on.
  Model<Continued> lowered = model;
  fit<32>(lowered, batch.view(), options_for(Adam{.learning_rate = 0.001f}, 1));
  CHECK(lowered.training_progress().updates == 3 * 8);

  // Another optimiser (or other coefficients) is a new optimiser: zero state, its step count from 1. The
  // reference forgets the optimiser by hand and keeps the rest (shuffling, dropout stream).
  Model<Continued> switched = model, reference = model;
  reference.training_progress().optimizer.clear();
  fit<32>(switched, batch.view(), options_for(Adam{.learning_rate = 0.01f, .beta_2 = 0.99f}, 1));
  fit<32>(reference, batch.view(), options_for(Adam{.learning_rate = 0.01f, .beta_2 = 0.99f}, 1));
  CHECK(testing::parameter_bits(switched) == testing::parameter_bits(reference));
  CHECK(switched.training_progress().updates == 8);
  CHECK(switched.training_progress().optimizer_state != adam_state);

  // initialize() forgets everything: the model trains as a new one.
  Model<Continued> fresh{Seed{5}};
  model.initialize(Seed{5});
  fit<32>(model, batch.view(), options_for(SGD{}, 1));
  fit<32>(fresh, batch.view(), options_for(SGD{}, 1));
  CHECK(testing::parameter_bits(model) == testing::parameter_bits(fresh));
}

TEST_CASE("evaluate uses the loss the model was trained with unless told another") {
  const testing::Batch batch = testing::random_batch(200, 20, 4, 13);
  Model<Continued> model{Seed{6}};
  const Loss smoothed = CategoricalCrossentropy{.label_smoothing = 0.2};
  CHECK(evaluate(model, batch.view()).loss == evaluate(model, batch.view(), SparseCategoricalCrossentropy{}).loss);
  fit<50>(model, batch.view(), {.epochs = 1, .loss = smoothed, .verbose = false});
  const double smoothed_loss = evaluate(model, batch.view(), smoothed).loss;
  CHECK(evaluate(model, batch.view()).loss == smoothed_loss);
  CHECK(evaluate(model, batch.view(), SparseCategoricalCrossentropy{}).loss != smoothed_loss);
}

TEST_CASE("FitOptions::batch_size trains in fewer rows than fit<Batch> plans for, as fit of that batch does") {
  const testing::Batch batch = testing::random_batch(230, 20, 4, 14);
  Model<Continued> planned_for_64{Seed{9}}, planned_for_32{Seed{9}};
  FitOptions options = options_for(Adam{.learning_rate = 0.01f}, 2);
  options.validation = batch.view().slice(0, 70);
  const History smaller = fit<64>(planned_for_64, batch.view(), [&] { FitOptions o = options; o.batch_size = 32; return o; }());
  const History exact = fit<32>(planned_for_32, batch.view(), options);
  CHECK(testing::parameter_bits(planned_for_64) == testing::parameter_bits(planned_for_32));
  CHECK(smaller.loss == exact.loss);
  CHECK(smaller.val_loss == exact.val_loss);
  CHECK(planned_for_64.training_progress().updates == 2 * 8);

  engine::Network network{Continued::spec(), Seed{9}};
  FitOptions too_many = options;
  too_many.batch_size = 65;
  CHECK_THROWS_WITH(fit<64>(network, batch.view(), too_many),
                    Catch::Matchers::Contains("batch_size 65 is more than the 64 rows the training step was planned for"));
}
