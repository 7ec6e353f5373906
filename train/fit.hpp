// fit(): mini-batch training of a Model with Keras's behaviour: shuffle every epoch, report
// the running loss and accuracy, evaluate on validation data after each epoch.
#pragma once

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "../codegen/denormals.hpp"
#include "../codegen/training_step.hpp"
#include "../dsl/random.hpp"
#include "backend.hpp"
#include "data_checks.hpp"
#include "evaluate.hpp"
#include "history.hpp"
#include "progress.hpp"
#include "sgd.hpp"

namespace ctnn {

struct FitOptions {
  std::size_t epochs = 1;
  SGD optimizer{};
  DatasetView validation{};   // evaluated after every epoch when not empty
  bool shuffle = true;
  std::uint64_t seed = 0;     // of the shuffling; the same seed gives the same run
  std::size_t threads = 0;    // 0: the model's setting (CTNN_NUM_THREADS, else all hardware threads)
  bool verbose = true;        // progress and one line per epoch
  std::FILE* log = stdout;
};

namespace detail {

// The training loop shared by every backend and batch size: `step` is the backend's training step.
template <Backend M, BackendTrainingStep Step>
History fit_loop(M& model, Step& step, const DatasetView& data, const FitOptions& options) {
  check_fits(model, data, "training data");
  if (!options.validation.empty()) check_fits(model, options.validation, "validation data");
  if (!(options.optimizer.learning_rate > 0.0f) || !std::isfinite(options.optimizer.learning_rate))
    throw Error("fit: the learning rate must be a positive number, not " + std::to_string(options.optimizer.learning_rate));

  FlushDenormals flush_denormals;
  std::ranges::fill(step.velocities(), 0.0f);
  if (options.threads != 0) model.set_threads(options.threads);
  const SgdVectorUpdate update(options.optimizer);

  const std::size_t batch_size = step.batch_size();
  const std::size_t batches = (data.count + batch_size - 1) / batch_size;
  std::vector<std::uint32_t> order(data.count);
  std::iota(order.begin(), order.end(), 0u);

  ProgressReport progress(options.log, options.verbose, options.epochs, batches);
  History history;
  for (std::size_t epoch = 1; epoch <= options.epochs; ++epoch) {
    progress.begin_epoch();
    if (options.shuffle) {
      Rng rng(options.seed, epoch);
      for (std::size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
    }
    double loss_sum = 0.0;  // sum over samples of (cross-entropy + the penalty of its batch)
    std::size_t correct = 0, seen = 0;
    for (std::size_t batch = 0; batch < batches; ++batch) {
      const std::size_t first = batch * batch_size;
      const std::size_t rows = std::min(batch_size, data.count - first);
      step.load_batch(data.images, data.labels, std::span(order).subspan(first, rows));
      const BatchResult result = step.train_batch(rows, update);
      if (!std::isfinite(result.loss()))
        throw Error("fit: the loss became " + std::to_string(result.loss()) + " in epoch " + std::to_string(epoch) +
                    ", batch " + std::to_string(batch + 1) + " of " + std::to_string(batches) +
                    "; training diverged: lower the learning rate (now " +
                    std::to_string(options.optimizer.learning_rate) + ") or check the data for NaN or Inf");
      loss_sum += result.loss() * double(rows);
      correct += result.correct;
      seen += rows;
      progress.batch_done(batch + 1, loss_sum / double(seen), double(correct) / double(seen));
    }
    history.loss.push_back(loss_sum / double(seen));
    history.accuracy.push_back(double(correct) / double(seen));
    if (!options.validation.empty()) {
      const Evaluation validation = detail::evaluate_checked(model, options.validation);
      history.val_loss.push_back(validation.loss);
      history.val_accuracy.push_back(validation.accuracy);
    }
    history.seconds.push_back(progress.seconds_since_epoch_start());
    const bool validated = !history.val_loss.empty();
    progress.end_epoch(epoch, history.seconds.back(), history.loss.back(), history.accuracy.back(),
                       validated ? &history.val_loss.back() : nullptr, validated ? &history.val_accuracy.back() : nullptr);
  }
  return history;
}

}  // namespace detail

// Trains `model` (a Model<Net> or an engine::Network) on `data` in mini-batches of Batch samples
// (the last one may be smaller). Throws ctnn::Error if the data does not fit the network or the
// loss stops being finite.
template <std::size_t Batch = 32, Backend M>
History fit(M& model, const DatasetView& data, const FitOptions& options = {}) {
  static_assert(Batch > 0, "ctnn::fit<Batch>: the mini-batch size must be at least 1");
  auto step = training_step<Batch>(model);  // the backend's own, found by argument-dependent lookup
  return detail::fit_loop(model, step, data, options);
}

}  // namespace ctnn
