// evaluate(): loss and accuracy of a model on a data set; predict(): probabilities for a data set.
// Both work on any backend: a generated Model<Net> or an engine::Network.
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <vector>

#include "../codegen/loss_kernels.hpp"
#include "../codegen/prediction_rows.hpp"
#include "../dsl/losses.hpp"
#include "backend.hpp"
#include "data_checks.hpp"

namespace ctnn {

struct Evaluation {
  double loss = 0.0;  // the mean loss plus the regularisation penalty, as Keras reports it
  double accuracy = 0.0;
};

namespace detail {

// evaluate() on data already checked by check_fits().
template <Backend M>
Evaluation evaluate_checked(M& model, const DatasetView& data, const Loss& loss_function) {
  const std::size_t classes = model.output_size();
  std::vector<float> probabilities(prediction_rows * classes);
  double loss = 0.0;
  std::size_t correct = 0;
  for (std::size_t first = 0; first < data.count; first += prediction_rows) {
    const std::size_t rows = std::min(prediction_rows, data.count - first);
    model.predict(data.sample(first), rows, probabilities.data());
    for (std::size_t r = 0; r < rows; ++r) {
      const float* p = probabilities.data() + r * classes;
      const std::size_t label = data.labels[first + r];
      loss += codegen::sample_loss(loss_function, p, classes, label);
      correct += codegen::predicts(p, classes, label);
    }
  }
  return {loss / double(data.count) + model.regularization_penalty(), double(correct) / double(data.count)};
}

}  // namespace detail

// Loss and accuracy under `loss`.
template <Backend M>
Evaluation evaluate(M& model, const DatasetView& data, const Loss& loss) {
  check_loss(loss);
  check_fits(model, data, "evaluation data");
  return detail::evaluate_checked(model, data, loss);
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
