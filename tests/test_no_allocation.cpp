// A training step and a prediction allocate nothing: every global operator new is replaced
// here by one that counts, and the count must not move during the measured region.
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <ctnn/ctnn.hpp>
#include <new>

#include "fashion_mlp.hpp"  // exported by ctnn_embed_model from generated/fashion_mlp.ctnn
#include "test_data.hpp"

namespace {
std::atomic<std::size_t> allocations{0};

void* counted(std::size_t bytes, std::size_t alignment = alignof(std::max_align_t)) {
  ++allocations;
  void* p = std::aligned_alloc(alignment, (bytes + alignment - 1) / alignment * alignment + alignment);
  if (!p) throw std::bad_alloc();
  return p;
}
}  // namespace

void* operator new(std::size_t bytes) { return counted(bytes); }
void* operator new[](std::size_t bytes) { return counted(bytes); }
void* operator new(std::size_t bytes, std::align_val_t a) { return counted(bytes, std::size_t(a)); }
void* operator new[](std::size_t bytes, std::align_val_t a) { return counted(bytes, std::size_t(a)); }
// GCC (at -O1) takes the std::vector's new and delete, both inlined, for the library's and reports a
// mismatch: both are these, over aligned_alloc and free.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

using namespace ctnn;
using SeedNet = Net<Dense<784, 400, ReLU>, Dense<400, 20>, Softmax<10>>;

TEST_CASE("the counter sees allocations") {
  static std::vector<int>* volatile escaped;  // keeps the compiler from eliding the new/delete pair
  const std::size_t before = allocations;
  escaped = new std::vector<int>(1000);
  delete escaped;
  CHECK(allocations > before);
}

TEST_CASE("a training step allocates nothing") {
  Model<SeedNet> model{Seed{1}};
  const testing::Batch batch = testing::random_batch(200, 784, 10, 1);
  const auto indices = testing::first_indices(150);
  TrainingStep<SeedNet, 200> step(model);  // grows the arena: allowed, once
  model.set_threads(2);
  step.load_batch(batch.x.data(), batch.labels.data(), indices);
  step.compute_gradients(indices.size());  // the first parallel step starts the thread pool: allowed, once

  const std::size_t before = allocations;
  step.load_batch(batch.x.data(), batch.labels.data(), indices);
  const BatchResult result = step.compute_gradients(indices.size());
  apply_update(SGD{.learning_rate = 0.1f, .momentum = 0.9f}, 1, step.parameters(), step.gradients(),
               step.optimizer_state().data(), step.optimizer_state_stride(), 2);
  CHECK(allocations == before);
  CHECK(result.rows == 150);
}

TEST_CASE("predictions allocate nothing") {
  Model<SeedNet> model{Seed{2}};
  const testing::Batch batch = testing::random_batch(300, 784, 10, 2);
  std::vector<float> probabilities(300 * 10);
  model.set_threads(2);
  model.predict(batch.x.data(), 300, probabilities.data());  // starts the thread pool if no test did

  const std::size_t before = allocations;
  model.predict(batch.x.data(), probabilities.data());       // one sample
  model.predict(batch.x.data(), 300, probabilities.data());  // a batch, in several chunks
  CHECK(allocations == before);
}

TEST_CASE("a convolutional network's single-sample prediction allocates nothing: its buffers are in the arena") {
  using Cnn = Net<Input<28, 28, 1>, Conv2D<16, 3, 3, ReLU>, MaxPool2D<2>, Flatten, Dense<inferred, 10>, Softmax<10>>;
  STATIC_REQUIRE_FALSE(Model<Cnn>::predicts_on_stack);
  const Model<Cnn> model{Seed{3}};
  const testing::Batch batch = testing::random_batch(2, 784, 10, 3);
  float probabilities[10];
  const std::size_t before = allocations;
  model.predict(batch.x.data(), probabilities);
  model.predict(batch.x.data() + 784, probabilities);
  CHECK(allocations == before);
}

TEST_CASE("an exported header's predict and classify allocate nothing") {
  float input[fashion_mlp::inputs], probabilities[fashion_mlp::outputs];
  std::uint8_t pixels[fashion_mlp::inputs];
  for (std::size_t i = 0; i < fashion_mlp::inputs; ++i) {
    pixels[i] = std::uint8_t(i * 7 % 256);
    input[i] = float(pixels[i]) / 255.0f;
  }
  const std::size_t before = allocations;
  fashion_mlp::predict(input, probabilities);
  const std::size_t predicted = fashion_mlp::classify(pixels).class_index;
  CHECK(allocations == before);
  CHECK(predicted < fashion_mlp::outputs);
}
