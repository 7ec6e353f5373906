// The parallel path: results are bit for bit the same for every thread count, on both backends,
// because work is split over outputs and never over a sum.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include <bit>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "parameter_bits.hpp"
#include "test_data.hpp"

using namespace ctnn;

namespace {

using SeedNet = Net<Dense<784, 400, ReLU>, Dense<400, 20, ReLU>, Softmax<10>>;
// 40 filters: the bias gradient of the second convolution splits its columns over 2 and 3 threads.
using SmallCnn = Net<Input<28, 28, 1>, Conv2D<8, 3, 3, ReLU, Same>, MaxPool2D<2>, Conv2D<40, 3, 3, Tanh>, Flatten,
                     Dense<inferred, 32>, Softmax<10>>;

const Dataset& training_images() {
  static const Dataset data = io::load_idx().test;  // 10,000 Fashion-MNIST images: an epoch of 50 batches
  return data;
}

// Exactly `threads` threads for every step (adapt_threads off).
FitOptions options(std::size_t threads) {
  return {.epochs = 1, .optimizer = SGD{.learning_rate = 0.05f, .momentum = 0.9f}, .seed = 3, .threads = threads,
          .adapt_threads = false, .verbose = false};
}

}  // namespace

TEST_CASE("one epoch of the seed network gives the same weights, bit for bit, on 1, 2, 3 and 4 threads") {
  const DatasetView data = training_images().view();
  std::vector<std::uint32_t> one_thread;
  History one_thread_history;
  for (const std::size_t threads : {1, 2, 3, 4}) {
    Model<SeedNet> model{Seed{8}};
    const History history = fit<200>(model, data, options(threads));
    CHECK(model.threads() == threads);
    if (threads == 1) {
      one_thread = testing::parameter_bits(model);
      one_thread_history = history;
      continue;
    }
    INFO(threads << " threads");
    CHECK(testing::parameter_bits(model) == one_thread);
    CHECK(history.loss == one_thread_history.loss);
    CHECK(history.accuracy == one_thread_history.accuracy);
  }
}

TEST_CASE("the generic engine is thread-count independent too, and equal to the generated code") {
  const DatasetView data = training_images().slice(0, 4000);
  Model<SeedNet> generated{Seed{9}};
  fit<100>(generated, data, options(1));
  for (const std::size_t threads : {1, 3}) {
    engine::Network network{SeedNet::spec(), Seed{9}};
    engine::fit(network, data, 100, options(threads));
    INFO(threads << " threads");
    CHECK(testing::parameter_bits(network) == testing::parameter_bits(generated));
  }
}

TEST_CASE("a convolutional network trains bit for bit the same on 1, 2 and 3 threads, on both backends") {
  using Cnn = SmallCnn;
  const DatasetView data = training_images().slice(0, 600);
  Model<Cnn> one_thread{Seed{4}};
  fit<50>(one_thread, data, options(1));
  for (const std::size_t threads : {2, 3}) {
    INFO(threads << " threads");
    Model<Cnn> model{Seed{4}};
    fit<50>(model, data, options(threads));
    CHECK(testing::parameter_bits(model) == testing::parameter_bits(one_thread));
    engine::Network network{Cnn::spec(), Seed{4}};
    engine::fit(network, data, 50, options(threads));
    CHECK(testing::parameter_bits(network) == testing::parameter_bits(one_thread));
  }
}

TEST_CASE("a fit that adapts its thread count gives the weights of one that does not, bit for bit") {
  const DatasetView data = training_images().slice(0, 4000);
  Model<SeedNet> fixed{Seed{10}}, adapted{Seed{10}};
  fit<100>(fixed, data, options(4));
  FitOptions adapting = options(4);
  adapting.adapt_threads = true;  // its first steps probe 4, 2 and 1 threads
  fit<100>(adapted, data, adapting);
  CHECK(testing::parameter_bits(adapted) == testing::parameter_bits(fixed));
  CHECK(adapted.threads() == 4);  // the model's own count, back after the fit
}

TEST_CASE("batched prediction is the same on any number of threads") {
  const Dataset& data = training_images();
  Model<SeedNet> model{Seed{10}};
  std::vector<float> one(1000 * 10), many(1000 * 10);
  model.set_threads(1);
  model.predict(data.images.data(), 1000, one.data());
  for (const std::size_t threads : {2, 4}) {
    model.set_threads(threads);
    model.predict(data.images.data(), 1000, many.data());
    CHECK(std::memcmp(one.data(), many.data(), one.size() * sizeof(float)) == 0);
  }
}

// Four threads each predict every sample of `count` one at a time, at once; each must get what
// one thread alone gets.
template <class NetType>
void check_concurrent_single_predictions(std::size_t count) {
  const Dataset& data = training_images();
  const Model<NetType> model{Seed{6}};
  std::vector<float> alone(count * 10);
  for (std::size_t s = 0; s < count; ++s) model.predict(data.images.data() + s * 784, alone.data() + s * 10);
  std::vector<std::vector<float>> together(4, std::vector<float>(count * 10));
  {
    std::vector<std::jthread> callers;
    for (std::vector<float>& out : together)
      callers.emplace_back([&] {
        for (std::size_t s = 0; s < count; ++s) model.predict(data.images.data() + s * 784, out.data() + s * 10);
      });
  }
  for (const std::vector<float>& out : together) CHECK(std::memcmp(out.data(), alone.data(), alone.size() * sizeof(float)) == 0);
}

TEST_CASE("single-sample prediction is safe from several threads: on the stack for an MLP, in the arena for a CNN") {
  // An MLP's layer outputs are a few KiB: callers run in parallel on their own stacks. A CNN's
  // feature maps would be too much stack: they live in the model's arena, behind a lock.
  STATIC_REQUIRE(Model<SeedNet>::predicts_on_stack);
  STATIC_REQUIRE_FALSE(Model<SmallCnn>::predicts_on_stack);
  check_concurrent_single_predictions<SeedNet>(300);
  check_concurrent_single_predictions<SmallCnn>(100);
}

TEST_CASE("CTNN_NUM_THREADS sets the default thread count; a bad value is an error that names it") {
  ::setenv("CTNN_NUM_THREADS", "3", 1);
  CHECK(default_thread_count() == 3);
  CHECK(Model<SeedNet>{}.threads() == 3);
  ::setenv("CTNN_NUM_THREADS", "two", 1);
  CHECK_THROWS_WITH(default_thread_count(), "CTNN_NUM_THREADS must be a thread count from 1 to 1024, not 'two'");
  ::setenv("CTNN_NUM_THREADS", "0", 1);
  CHECK_THROWS_WITH(default_thread_count(), Catch::Matchers::Contains("not '0'"));
  ::unsetenv("CTNN_NUM_THREADS");
  CHECK(default_thread_count() == std::max(1u, std::thread::hardware_concurrency()));
}

TEST_CASE("the pool runs every part exactly once, and runs alone when another thread holds it") {
  std::vector<int> hits(7, 0);
  auto count = [&](std::size_t part) { ++hits[part]; };
  thread_pool().run(7, count);
  CHECK(hits == std::vector<int>(7, 1));
  // Nested use (a job that uses the pool) finds it busy and runs inline rather than deadlocking.
  std::vector<int> inner(4, 0);
  auto nested = [&](std::size_t part) {
    if (part == 0) {
      auto inner_count = [&](std::size_t p) { ++inner[p]; };
      thread_pool().run(4, inner_count);
    }
  };
  thread_pool().run(2, nested);
  CHECK(inner == std::vector<int>(4, 1));
}

TEST_CASE("the update fused into the backward pass gives the numbers of a separate pass, on both backends") {
  using Regularized = Net<Dense<784, 40, Tanh, L1L2<0.001f, 0.01f>>, Dense<40, 20, ReLU, L2<0.02f>>, Softmax<10>>;
  const testing::Batch batch = testing::random_batch(100, 784, 10, 4);
  const auto indices = testing::first_indices(100);
  for (const Optimizer& optimizer :
       {Optimizer{SGD{.learning_rate = 0.1f}}, Optimizer{SGD{.learning_rate = 0.05f, .momentum = 0.9f}},
        Optimizer{SGD{.learning_rate = 0.05f, .momentum = 0.8f, .nesterov = true}}, Optimizer{RMSprop{}},
        Optimizer{RMSprop{.momentum = 0.5f, .centered = true}}, Optimizer{Adam{}}, Optimizer{Adam{.amsgrad = true}}}) {
    Model<Regularized> separate{Seed{5}}, fused{Seed{5}};
    TrainingStep<Regularized, 100> separate_step(separate), fused_step(fused);
    engine::Network network{Regularized::spec(), Seed{5}};
    engine::TrainingStep network_step(network, 100);
    std::ranges::fill(separate_step.optimizer_state(), 0.0f);
    std::ranges::fill(fused_step.optimizer_state(), 0.0f);
    std::ranges::fill(network_step.optimizer_state(), 0.0f);
    INFO(optimizer_name(optimizer) << " (variant " << optimizer.index() << ")");
    for (std::uint64_t step = 1; step <= 3; ++step) {
      separate_step.load_batch(batch.x.data(), batch.labels.data(), indices);
      const BatchResult expected = separate_step.compute_gradients(100);
      apply_update(optimizer, step, separate_step.parameters(), separate_step.gradients(),
                   separate_step.optimizer_state().data(), separate_step.optimizer_state_stride());
      fused_step.load_batch(batch.x.data(), batch.labels.data(), indices);
      const BatchResult got =
          fused_step.train_batch(100, OptimizerUpdate(optimizer, step, fused_step.optimizer_state_stride()));
      network_step.load_batch(batch.x.data(), batch.labels.data(), indices);
      network_step.train_batch(100, OptimizerUpdate(optimizer, step, network_step.optimizer_state_stride()));
      CHECK(got.loss() == expected.loss());
    }
    CHECK(testing::parameter_bits(fused) == testing::parameter_bits(separate));
    CHECK(testing::parameter_bits(network) == testing::parameter_bits(separate));
  }
}
