#include "fit.hpp"

#include <chrono>
#include <cmath>
#include <numeric>
#include <optional>
#include <string>
#include <variant>

#include "../codegen/denormals.hpp"
#include "../dsl/random.hpp"
#include "history_files.hpp"
#include "progress.hpp"
#include "thread_tuner.hpp"

namespace ctnn::detail {

namespace {

void check_learning_rate(float learning_rate, const char* source) {
  if (!(learning_rate > 0.0f) || !std::isfinite(learning_rate))
    throw Error(std::string("fit: the learning rate must be a positive number, not ") + std::to_string(learning_rate) +
                " (from " + source + ")");
}

}  // namespace

History run_fit(FitTarget& target, const DatasetView& all_data, const FitOptions& options) {
  if (!(options.validation_split >= 0.0 && options.validation_split < 1.0))
    throw Error("fit: validation_split must be in [0, 1), not " + std::to_string(options.validation_split));
  if (options.validation_split > 0.0 && !options.validation.empty())
    throw Error("fit: give validation data or a validation_split, not both");
  // Keras's split: the last rows, before any shuffling.
  const std::size_t split_at = std::size_t(double(all_data.count) * (1.0 - options.validation_split));
  const DatasetView data = options.validation_split > 0.0 ? all_data.slice(0, split_at) : all_data;
  const DatasetView validation =
      options.validation_split > 0.0 ? all_data.slice(split_at, all_data.count) : options.validation;
  target.check_fits(data, "training data");
  if (!validation.empty()) target.check_fits(validation, "validation data");
  check_optimizer(options.optimizer);
  target.start(options.loss, options.seed);  // checks the loss
  check_learning_rate(learning_rate_of(options.optimizer), "FitOptions::optimizer");
  std::vector<CallbackState> callbacks = start_callbacks(options.callbacks);
  float learning_rate = learning_rate_of(options.optimizer);
  std::optional<io::ModelFile> best_weights;  // for EarlyStopping's restore_best_weights

  FlushDenormals flush_denormals;
  std::uint64_t iteration = 0;  // updates so far: Adam's bias correction
  if (options.threads != 0) target.set_threads(options.threads);
  // Steps may run on fewer threads than the model's while that is faster; the model gets its count back.
  struct RestoreThreads {
    FitTarget& target;
    std::size_t count;
    ~RestoreThreads() { target.set_threads(count); }
  } restore_threads{target, target.threads()};
  ThreadTuner tuner(target.threads(), options.adapt_threads);

  const std::size_t batch_size = target.batch_size();
  const std::size_t batches = (data.count + batch_size - 1) / batch_size;
  std::vector<std::uint32_t> order(data.count);
  std::iota(order.begin(), order.end(), 0u);

  ProgressReport progress(options.log, options.verbose, options.epochs, batches);
  History history;
  for (std::size_t epoch = 1; epoch <= options.epochs; ++epoch) {
    for (CallbackState& callback : callbacks)
      if (auto* scheduler = std::get_if<LearningRateScheduler>(&callback)) {
        learning_rate = scheduler->schedule(epoch - 1, learning_rate);
        check_learning_rate(learning_rate, "LearningRateScheduler");
      }
    Optimizer optimizer = options.optimizer;
    set_learning_rate(optimizer, learning_rate);
    progress.begin_epoch();
    if (options.shuffle) {
      Rng rng(options.seed, epoch);
      for (std::size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
    }
    double loss_sum = 0.0;  // sum over samples of (loss + the penalty of its batch)
    std::size_t correct = 0, seen = 0;
    for (std::size_t batch = 0; batch < batches; ++batch) {
      const std::size_t first = batch * batch_size;
      const std::size_t rows = std::min(batch_size, data.count - first);
      target.set_threads(tuner.threads());
      const auto started = std::chrono::steady_clock::now();
      const BatchResult result =
          target.train_batch(data, std::span(order).subspan(first, rows), optimizer, ++iteration);
      if (rows == batch_size) tuner.record(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      if (!std::isfinite(result.loss()))
        throw Error("fit: the loss became " + std::to_string(result.loss()) + " in epoch " + std::to_string(epoch) +
                    ", batch " + std::to_string(batch + 1) + " of " + std::to_string(batches) +
                    "; training diverged: lower the learning rate (now " + std::to_string(learning_rate) +
                    ") or check the data for NaN or Inf");
      loss_sum += result.loss() * double(rows);
      correct += result.correct;
      seen += rows;
      progress.batch_done(batch + 1, loss_sum / double(seen), double(correct) / double(seen));
    }
    target.set_threads(tuner.chosen());  // for the validation and the callbacks
    history.loss.push_back(loss_sum / double(seen));
    history.accuracy.push_back(double(correct) / double(seen));
    if (!validation.empty()) {
      const Evaluation validated = target.evaluate(validation, options.loss);
      history.val_loss.push_back(validated.loss);
      history.val_accuracy.push_back(validated.accuracy);
    }
    history.seconds.push_back(progress.seconds_since_epoch_start());
    history.learning_rate.push_back(learning_rate);
    const bool validated = !history.val_loss.empty();
    progress.end_epoch(epoch, history.seconds.back(), history.loss.back(), history.accuracy.back(),
                       validated ? &history.val_loss.back() : nullptr, validated ? &history.val_accuracy.back() : nullptr);

    EpochLogs logs{epoch - 1, history.loss.back(), history.accuracy.back(), {}, {}, learning_rate};
    if (validated) logs.val_loss = history.val_loss.back(), logs.val_accuracy = history.val_accuracy.back();
    bool stop = false;
    for (CallbackState& callback : callbacks) {
      if (auto* early = std::get_if<EarlyStopping::State>(&callback)) {
        bool improved = false;
        const bool stop_here = early->should_stop(logs, improved);
        if (improved && early->options.restore_best_weights) best_weights = target.snapshot();
        if (stop_here) {
          stop = true;
          if (early->options.restore_best_weights && best_weights) target.restore(*best_weights);
          if (options.verbose) std::fprintf(options.log, "Epoch %zu: early stopping\n", epoch);
        }
      } else if (auto* plateau = std::get_if<ReduceLROnPlateau::State>(&callback)) {
        const float reduced = plateau->next_learning_rate(logs, learning_rate);
        if (reduced != learning_rate && options.verbose)
          std::fprintf(options.log, "Epoch %zu: ReduceLROnPlateau reducing learning rate to %g.\n", epoch, double(reduced));
        learning_rate = reduced;
      } else if (auto* checkpoint = std::get_if<ModelCheckpoint::State>(&callback)) {
        if (checkpoint->should_save(logs)) target.save(checkpoint->options.path);
      } else if (const auto* logger = std::get_if<CSVLogger>(&callback)) {
        save_csv(history, logger->filename);
      }
    }
    if (stop) break;
  }
  return history;
}

}  // namespace ctnn::detail
