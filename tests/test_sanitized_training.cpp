// Training on both backends, every layer kind and optimiser path, 1 and 3 threads, and the files of
// a trained model: on two networks only, so that this file builds quickly with AddressSanitizer and
// UndefinedBehaviorSanitizer (scripts/run-sanitized-tests.sh), where the full training tests, with
// dozens of network types, take many minutes to compile. Odd sizes exercise the padding and the
// partial register tiles.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include "parameter_bits.hpp"
#include "temp_dir.hpp"
#include "test_data.hpp"

using namespace ctnn;

namespace {

using Odd = Net<Dense<7, 5, Tanh, L2<0.01>>, BatchNorm<>, Dropout<0.25>, Dense<5, 19, ReLU, ActivityL1<0.001>>,
                Dropout<0.1>, Softmax<3>>;
// Wide enough that products are split over threads.
using Wide = Net<Dense<64, 300, ReLU>, Softmax<10>>;

}  // namespace

TEST_CASE("sanitized: both backends train every layer kind to the same bits, and predict alike") {
  const testing::Batch batch = testing::random_batch(45, 7, 3, 31);
  for (const Optimizer& optimizer : {Optimizer{SGD{.momentum = 0.5f, .nesterov = true}},
                                     Optimizer{RMSprop{.momentum = 0.2f, .centered = true}},
                                     Optimizer{Adam{.amsgrad = true}}}) {
    Model<Odd> generated{Seed{3}};
    engine::Network twin{Odd::spec(), Seed{3}};
    const FitOptions options{.epochs = 2, .optimizer = optimizer, .validation = batch.view(), .seed = 4, .verbose = false};
    const History history = fit<16>(generated, batch.view(), options);
    const History twin_history = fit<16>(twin, batch.view(), options);
    CHECK(testing::parameter_bits(generated) == testing::parameter_bits(twin));
    CHECK(history.loss == twin_history.loss);
    CHECK(history.val_accuracy == twin_history.val_accuracy);
    std::vector<float> one(3), other(3), batched(45 * 3), twin_batched(45 * 3);
    generated.predict(batch.x.data(), one.data());
    twin.predict(batch.x.data(), other.data());
    CHECK(one == other);
    generated.predict(batch.x.data(), 45, batched.data());
    twin.predict(batch.x.data(), 45, twin_batched.data());
    CHECK(batched == twin_batched);
    // The single-sample path sums in another order (matrix-vector strips): equal to rounding.
    for (std::size_t c = 0; c < 3; ++c) CHECK(batched[c] == Approx(one[c]).epsilon(1e-5));
  }
}

TEST_CASE("sanitized: split products give the bits of one thread") {
  const testing::Batch batch = testing::random_batch(300, 64, 10, 32);
  std::vector<std::uint32_t> one_thread;
  for (const std::size_t threads : {1, 3}) {
    Model<Wide> model{Seed{5}};
    fit<100>(model, batch.view(), {.epochs = 2, .optimizer = Adam{}, .threads = threads, .adapt_threads = false,
                                   .verbose = false});
    if (threads == 1) one_thread = testing::parameter_bits(model);
    else CHECK(testing::parameter_bits(model) == one_thread);
  }
}

TEST_CASE("sanitized: a trained model goes through model files and .npz archives on both backends") {
  testing::TempDir dir;
  const testing::Batch batch = testing::random_batch(32, 7, 3, 33);
  Model<Odd> model{Seed{6}};
  fit<16>(model, batch.view(), {.epochs = 1, .verbose = false});
  io::save(model, dir / "odd.ctnn");
  io::save_npz(model, dir / "odd.npz");
  engine::Network loaded = io::load_network(dir / "odd.ctnn");
  Model<Odd> from_npz;
  io::load_npz(from_npz, dir / "odd.npz");
  CHECK(testing::parameter_bits(loaded) == testing::parameter_bits(model));
  CHECK(testing::parameter_bits(from_npz) == testing::parameter_bits(model));
}
