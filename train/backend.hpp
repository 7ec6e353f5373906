// What the training code asks of a backend: a generated Model<Net> and an engine::Network both
// qualify, so fit(), evaluate() and predict() are written once for both.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "../codegen/batch_result.hpp"
#include "../codegen/process_share.hpp"
#include "../codegen/simd.hpp"
#include "../dsl/losses.hpp"
#include "../dsl/training_progress.hpp"

namespace ctnn {

template <class M>
concept Backend = requires(M& model, const M& const_model, const float* samples, float* probabilities, std::size_t count) {
  { const_model.input_size() } -> std::convertible_to<std::size_t>;
  { const_model.output_size() } -> std::convertible_to<std::size_t>;
  { const_model.describe() } -> std::convertible_to<std::string>;
  { const_model.regularization_penalty() } -> std::convertible_to<double>;
  { const_model.threads() } -> std::convertible_to<std::size_t>;
  model.set_threads(count);
  model.predict(samples, count, probabilities);
  { model.training_progress() } -> std::same_as<TrainingProgress&>;
};

// A backend's training step: a batch in, gradients out, and flat views of parameters, gradients
// and optimiser state for the optimiser.
template <class S>
concept BackendTrainingStep = requires(S& step, const float* images, const std::uint8_t* labels,
                                       std::span<const std::uint32_t> indices, std::size_t rows) {
  { step.batch_size() } -> std::convertible_to<std::size_t>;
  step.load_batch(images, labels, indices);
  step.seed_dropout(std::uint64_t{}, std::uint64_t{});
  step.set_loss(Loss{});
  { step.compute_gradients(rows) } -> std::same_as<BatchResult>;
  { step.train_batch(rows, [](float*, simd::floats, float*) {}) } -> std::same_as<BatchResult>;
  { step.apply_update([](float*, simd::floats, float*) {}) } -> std::same_as<bool>;
  { step.parameters() } -> std::same_as<std::span<float>>;
  { step.gradients() } -> std::same_as<std::span<float>>;
  step.share_work(static_cast<Collective*>(nullptr));
  step.gather_gradients();
  { step.optimizer_state() } -> std::same_as<std::span<float>>;
  { step.optimizer_state_stride() } -> std::convertible_to<std::size_t>;
};

}  // namespace ctnn
