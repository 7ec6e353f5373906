// evaluate(): loss and accuracy of a model on a data set; predict(): probabilities for a data set.
// Both work on any backend: a generated Model<Net> or an engine::Network.
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <tuple>
#include <vector>

#include "../codegen/arena.hpp"
#include "../codegen/loss_kernels.hpp"
#include "../codegen/prediction_rows.hpp"
#include "../codegen/process_share.hpp"
#include "../dsl/losses.hpp"
#include "../layers/dense.hpp"
#include "backend.hpp"
#include "data_checks.hpp"

namespace ctnn {

struct Evaluation {
  double loss = 0.0;  // the mean loss plus the regularisation penalty, as Keras reports it
  double accuracy = 0.0;
};

// Keras's evaluate() batch size, which decides the activity penalty's share of the loss (see below).
inline constexpr std::size_t keras_evaluation_batch = 32;

namespace detail {

constexpr float activity_l1_of(const layers::Dense& dense) { return dense.activity_l1; }
constexpr float activity_l1_of(const auto&) { return 0.0f; }

// activity_penalty_in_evaluation's forward pass, batch by batch.
template <Backend M>
double activity_penalty_pass(const M& model, const DatasetView& data, std::size_t batch_size) {
  std::vector<std::size_t> regularised;
  for (std::size_t i = 0; i < model.layer_count(); ++i)
    if (const layers::Dense* dense = model.template layer_as<layers::Dense>(i); dense && dense->activity_l1 > 0.0f)
      regularised.push_back(i);
  if (regularised.empty() || data.count == 0) return 0.0;
  std::vector<Arena> buffers;
  for (std::size_t i = 0; i < model.layer_count(); ++i)
    buffers.emplace_back(batch_size * simd::padded(model.output_shape(i).elements()) * sizeof(float));
  double weighted = 0.0;
  for (std::size_t first = 0; first < data.count; first += batch_size) {
    const std::size_t rows = std::min(batch_size, data.count - first);
    model.forward(data.sample(first), rows, [&](std::size_t i) { return in_arena(buffers[i].data(), 0); });
    double batch_penalty = 0.0;
    for (const std::size_t i : regularised)
      batch_penalty += codegen::activity_penalty(model.template layer_as<layers::Dense>(i)->activity_l1,
                                                 model.output_shape(i).elements(), simd::padded(model.output_shape(i).elements()),
                                                 in_arena(buffers[i].data(), 0), rows);
    weighted += double(rows) * batch_penalty;
  }
  return weighted / double(data.count);
}

// The activity penalties' part of an evaluation loss, as Keras 3 counts it: a layer's activity regulariser
// adds c * sum |a| over a batch to that batch's loss in evaluation too, and the batches' losses are averaged
// weighted by their sizes; so it depends on the batch size, which is fit's for validation and 32 for
// evaluate. Zero for a network without activity regularisers, which costs no pass.
template <Backend M>
double activity_penalty_in_evaluation(const M& model, const DatasetView& data, std::size_t batch_size) {
  // A network type (Model<Net>) without activity regularisers does not even compile the pass.
  if constexpr (requires { M::net::kinds; }) {
    // Over the kinds themselves: a pointer compared in constant evaluation is not constant under UBSan.
    constexpr bool regularises = std::apply(
        [](const auto&... kind) { return ((activity_l1_of(kind) > 0.0f) || ...); }, M::net::kinds);
    if constexpr (!regularises) return 0.0;
    else return activity_penalty_pass(model, data, batch_size);
  } else {
    return activity_penalty_pass(model, data, batch_size);
  }
}

// The loss and the correct count of rows [first, first + rows) of `data`, from their probabilities.
inline void add_sample_losses(const Loss& loss_function, const DatasetView& data, std::size_t first, std::size_t rows,
                              const float* probabilities, std::size_t classes, double& loss, std::size_t& correct) {
  for (std::size_t r = 0; r < rows; ++r) {
    const float* p = probabilities + r * classes;
    const std::size_t label = data.labels[first + r];
    loss += codegen::sample_loss(loss_function, p, classes, label);
    correct += codegen::predicts(p, classes, label);
  }
}

// evaluate() on data already checked by check_fits(). Shared with other processes (`collective`),
// each predicts its share of the rows and all sum the gathered probabilities' losses in one order.
template <Backend M>
Evaluation evaluate_checked(M& model, const DatasetView& data, const Loss& loss_function,
                            std::size_t batch_size = keras_evaluation_batch, Collective* collective = nullptr) {
  const std::size_t classes = model.output_size();
  double loss = 0.0;
  std::size_t correct = 0;
  if (collective && !collective->share().whole()) {
    std::vector<float> probabilities(data.count * classes);
    const IndexRange mine = collective->share().rows(data.count);
    for (std::size_t first = mine.begin; first < mine.end; first += prediction_rows)
      model.predict(data.sample(first), std::min(prediction_rows, mine.end - first), probabilities.data() + first * classes);
    collective->gather_rows(probabilities.data(), classes, data.count);
    add_sample_losses(loss_function, data, 0, data.count, probabilities.data(), classes, loss, correct);
  } else {
    std::vector<float> probabilities(prediction_rows * classes);
    for (std::size_t first = 0; first < data.count; first += prediction_rows) {
      const std::size_t rows = std::min(prediction_rows, data.count - first);
      model.predict(data.sample(first), rows, probabilities.data());
      add_sample_losses(loss_function, data, first, rows, probabilities.data(), classes, loss, correct);
    }
  }
  return {loss / double(data.count) + model.regularization_penalty() + activity_penalty_in_evaluation(model, data, batch_size),
          double(correct) / double(data.count)};
}
}  // namespace detail

// Loss and accuracy under `loss`. The batch size matters only to a network with activity regularisers,
// whose penalty Keras counts per batch (32 is Keras's evaluate default).
template <Backend M>
Evaluation evaluate(M& model, const DatasetView& data, const Loss& loss, std::size_t batch_size = keras_evaluation_batch) {
  check_loss(loss);
  check_fits(model, data, "evaluation data");
  if (batch_size == 0) throw Error("evaluate: the batch size must be at least 1");
  return detail::evaluate_checked(model, data, loss, batch_size);
}

// Under the loss the model was last trained with (as Keras's evaluate uses the compiled loss); sparse
// categorical cross-entropy for a model not trained yet.
template <Backend M>
Evaluation evaluate(M& model, const DatasetView& data) {
  return evaluate(model, data, model.training_progress().loss);
}

// Probabilities for every sample of `data`: count x output_size, row-major.
template <Backend M>
std::vector<float> predict(M& model, const DatasetView& data) {
  check_input_size(model, data, "prediction data");
  std::vector<float> probabilities(data.count * model.output_size());
  model.predict(data.images, data.count, probabilities.data());
  return probabilities;
}

// The most probable class of each row of `probabilities` (rows x classes, row-major, as predict()
// returns them): NumPy's argmax(axis=1), the first of equal maxima.
inline std::vector<std::size_t> argmax(std::span<const float> probabilities, std::size_t classes) {
  std::vector<std::size_t> best(classes ? probabilities.size() / classes : 0);
  for (std::size_t r = 0; r < best.size(); ++r) {
    const float* row = probabilities.data() + r * classes;
    best[r] = std::size_t(std::max_element(row, row + classes) - row);
  }
  return best;
}

// The most probable class of every sample of `data`: argmax(predict(model, data)).
template <Backend M>
std::vector<std::size_t> predict_classes(M& model, const DatasetView& data) {
  return argmax(predict(model, data), model.output_size());
}

}  // namespace ctnn
