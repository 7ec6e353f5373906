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
#include "process_checks.hpp"
#include "progress.hpp"
#include "sharded_batches.hpp"
#include "thread_tuner.hpp"
#include "training_state.hpp"

namespace ctnn::detail {

namespace {

void check_learning_rate(float learning_rate, const char* source) {
  if (!(learning_rate > 0.0f) || !std::isfinite(learning_rate))
    throw Error(std::string("fit: the learning rate must be a positive number, not ") + std::to_string(learning_rate) +
                " (from " + source + ")");
}

// What a resumed run must share with the run that wrote the backup, one "key: value" line each.
std::string run_identity(std::size_t training_rows, const DatasetView& validation, std::size_t batch_size,
                         const FitOptions& options, const TrainingProgress& progress) {
  std::string identity;
  const auto line = [&](const char* key, const std::string& value) { identity.append(key).append(": ").append(value).append("\n"); };
  line("training rows", std::to_string(training_rows));
  line("validation rows", std::to_string(validation.count));
  line("batch size", std::to_string(batch_size));
  line("seed", std::to_string(options.seed));
  line("shuffle", options.shuffle ? "on" : "off");
  line("loss", loss_name(options.loss));
  line("optimizer", optimizer_text(options.optimizer));
  std::string kinds;
  for (const Callback& callback : options.callbacks) {
    static constexpr const char* names[] = {"EarlyStopping", "ReduceLROnPlateau", "LearningRateScheduler",
                                            "ModelCheckpoint", "CSVLogger", "BackupAndRestore"};
    static_assert(std::size(names) == std::variant_size_v<Callback>);
    kinds.append(kinds.empty() ? "" : ", ").append(names[callback.index()]);
  }
  line("callbacks", kinds.empty() ? "none" : kinds);
  // A fit that continues earlier ones (absent on a new model, so that older backups still match).
  if (progress.trained() || progress.epochs > 0)
    line("continues", std::to_string(progress.epochs) + " epochs, " + std::to_string(progress.updates) + " updates");
  return identity;
}

// The optimiser's identity for continuing its state: every coefficient but the learning rate.
std::string continuation_key(const Optimizer& optimizer) {
  Optimizer without_rate = optimizer;
  set_learning_rate(without_rate, 1.0f);
  return optimizer_text(without_rate);
}

// Refuses a backup written by a run with other settings, naming the first that differs.
void check_same_run(const std::string& written, const std::string& current, const std::filesystem::path& path) {
  if (written == current) return;
  const auto lines = [](const std::string& text) {
    std::vector<std::string> result;
    for (std::size_t at = 0; at < text.size();) {
      const std::size_t end = std::min(text.find('\n', at), text.size());
      result.push_back(text.substr(at, end - at));
      at = end + 1;
    }
    return result;
  };
  const std::vector<std::string> before = lines(written), now = lines(current);
  std::string difference = "the settings differ";
  for (std::size_t i = 0; i < std::max(before.size(), now.size()); ++i)
    if (i >= before.size() || i >= now.size() || before[i] != now[i]) {
      difference = "it was written with \"" + (i < before.size() ? before[i] : "") + "\", this run has \"" +
                   (i < now.size() ? now[i] : "") + "\"";
      break;
    }
  throw Error(path.string() + ": this backup belongs to another training run (" + difference +
              "); resume with the same settings, or delete the backup to start over");
}

// A backup's counters must fit this run (the settings already match): a file that passed its checksum
// but holds impossible counters is refused rather than replayed for ever.
void check_counters(const TrainingState& state, std::size_t batches, std::size_t rows, std::size_t epochs,
                    std::uint64_t updates_before, const std::filesystem::path& path) {
  if (state.epoch > epochs + 1)
    throw Error(path.string() + ": the backup is at epoch " + std::to_string(state.epoch) + ", past this run's " +
                std::to_string(epochs) + " epochs; run at least " + std::to_string(state.epoch - 1) +
                " epochs, or delete the backup to start over");
  if (state.batches_done >= batches || state.seen > rows || state.correct > state.seen ||
      state.iteration < updates_before || state.iteration - updates_before > state.epoch * batches ||
      state.history.epochs() >= state.epoch)
    throw Error(path.string() + ": corrupted: its counters (epoch " + std::to_string(state.epoch) + ", batch " +
                std::to_string(state.batches_done) + " of " + std::to_string(batches) + ", update " +
                std::to_string(state.iteration) + ") do not fit this run");
}

// `epoch` counts every epoch the model trained, in this fit and the ones before.
void shuffle(std::vector<std::uint32_t>& order, std::uint64_t seed, std::uint64_t epoch) {
  Rng rng(seed, epoch);
  for (std::size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
}

CallbackRecord record_of(const CallbackState& callback) {
  if (const auto* early = std::get_if<EarlyStopping::State>(&callback)) return {early->improvement.best(), early->wait, 0};
  if (const auto* plateau = std::get_if<ReduceLROnPlateau::State>(&callback))
    return {plateau->improvement.best(), plateau->wait, plateau->cooldown_left};
  if (const auto* checkpoint = std::get_if<ModelCheckpoint::State>(&callback)) return {checkpoint->improvement.best(), 0, 0};
  return {};
}

void restore_record(CallbackState& callback, const CallbackRecord& record, const History& history) {
  if (auto* early = std::get_if<EarlyStopping::State>(&callback)) {
    early->improvement.set_best(record.best), early->wait = std::size_t(record.wait);
    // The best value is one the history logged: its first epoch is the best epoch.
    const std::vector<double>* series = history.series(early->options.monitor);
    if (series) early->best_epoch = std::size_t(std::ranges::find(*series, record.best) - series->begin());
  } else if (auto* plateau = std::get_if<ReduceLROnPlateau::State>(&callback)) {
    plateau->improvement.set_best(record.best), plateau->wait = std::size_t(record.wait);
    plateau->cooldown_left = std::size_t(record.cooldown_left);
  } else if (auto* checkpoint = std::get_if<ModelCheckpoint::State>(&callback)) {
    checkpoint->improvement.set_best(record.best);
  }
}

// As Keras's ModelCheckpoint(verbose=1) says it.
void say_checkpoint(std::FILE* log, std::size_t epoch, const ModelCheckpoint& checkpoint, double best_before,
                    const EpochLogs& logs, bool saved) {
  const std::string path = checkpoint.path.string();
  if (!checkpoint.save_best_only)
    std::fprintf(log, "Epoch %zu: saving model to %s\n", epoch, path.c_str());
  else if (saved)
    std::fprintf(log, "Epoch %zu: %s improved from %.5f to %.5f, saving model to %s\n", epoch, checkpoint.monitor.c_str(),
                 best_before, logs.get(checkpoint.monitor), path.c_str());
  else
    std::fprintf(log, "Epoch %zu: %s did not improve from %.5f\n", epoch, checkpoint.monitor.c_str(), best_before);
}

const BackupAndRestore* find_backup(const std::vector<Callback>& callbacks) {
  const BackupAndRestore* found = nullptr;
  for (const Callback& callback : callbacks)
    if (const auto* backup = std::get_if<BackupAndRestore>(&callback)) {
      if (found) throw Error("fit: one BackupAndRestore callback only");
      if (backup->backup_dir.empty()) throw Error("fit: BackupAndRestore needs a backup_dir");
      found = backup;
    }
  return found;
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
  if (all_data.is_shard()) check_shard(all_data, options);
  if (validation.is_shard())
    throw Error("fit: the validation data " + std::string(validation.images_source) +
                " is a shard; every process evaluates its share of the whole validation set: read it whole");
  // The rows the batches are drawn from: those of every process's shard together, or `data`.
  const std::size_t training_rows = data.is_shard() ? data.whole_count : data.count;
  target.check_fits(data, "training data");
  if (!validation.empty()) target.check_fits(validation, "validation data");
  check_optimizer(options.optimizer);
  check_loss(options.loss);
  check_learning_rate(learning_rate_of(options.optimizer), "FitOptions::optimizer");
  const BackupAndRestore* backup = find_backup(options.callbacks);
  // Over several processes, process 0 alone prints and writes files; all of them must train alike.
  const bool writes = !options.collective || options.collective->share().rank == 0;
  const bool verbose = options.verbose && writes;
  if (options.batch_size > target.batch_size())
    throw Error("fit: batch_size " + std::to_string(options.batch_size) + " is more than the " +
                std::to_string(target.batch_size()) + " rows the training step was planned for (fit<" +
                std::to_string(target.batch_size()) + ">); plan for at least as many: fit<" +
                std::to_string(options.batch_size) + ">, or engine::fit with a run-time batch size");
  const std::size_t batch_size = options.batch_size ? options.batch_size : target.batch_size();
  // What earlier fits of this model left: this one goes on from there.
  TrainingProgress& carried = target.progress();
  const std::string optimizer_key = continuation_key(options.optimizer);
  const std::uint64_t updates_before = carried.optimizer == optimizer_key ? carried.updates : 0;
  const std::uint64_t epochs_before = carried.epochs, dropout_steps_before = carried.dropout_steps;
  const std::string identity = run_identity(training_rows, validation, batch_size, options, carried);

  // Everything a backup holds, and so everything that decides what the rest of the run does.
  TrainingState state;
  state.iteration = updates_before;
  state.learning_rate = learning_rate_of(options.optimizer);
  std::vector<CallbackState> callbacks = start_callbacks(options.callbacks);
  const bool resuming = backup && std::filesystem::exists(backup_file(*backup));
  if (resuming) {
    const std::filesystem::path path = backup_file(*backup);
    state = read_training_state(path);
    check_same_run(state.run, identity, path);
    check_counters(state, (training_rows + batch_size - 1) / batch_size, training_rows, options.epochs, updates_before, path);
    if (state.callbacks.size() != callbacks.size())
      throw Error(path.string() + ": corrupted: it holds the state of " + std::to_string(state.callbacks.size()) +
                  " callbacks where this run has " + std::to_string(callbacks.size()));
    target.restore(state.weights, path.string());
    for (std::size_t c = 0; c < callbacks.size(); ++c) restore_record(callbacks[c], state.callbacks[c], state.history);
  }
  target.start(options.loss, options.seed, dropout_steps_before + (state.iteration - updates_before));
  if (updates_before > 0 && !resuming) {
    const std::span<float> optimizer_state = target.optimizer_state();
    if (carried.optimizer_state.size() != optimizer_state.size())
      throw Error("fit: the model's optimiser state holds " + std::to_string(carried.optimizer_state.size()) +
                  " values where its training step needs " + std::to_string(optimizer_state.size()) +
                  "; call initialize() or reset training_progress() to start training afresh");
    std::ranges::copy(carried.optimizer_state, optimizer_state.begin());
  }
  if (resuming) {
    const std::span<float> optimizer_state = target.optimizer_state();
    if (state.optimizer_state.size() != optimizer_state.size())
      throw Error(backup_file(*backup).string() + ": corrupted: it holds " + std::to_string(state.optimizer_state.size()) +
                  " optimiser-state values where this network needs " + std::to_string(optimizer_state.size()));
    std::ranges::copy(state.optimizer_state, optimizer_state.begin());
  }
  const auto write_backup = [&] {
    state.weights = target.snapshot();
    const std::span<const float> optimizer_state = target.optimizer_state();
    state.optimizer_state.assign(optimizer_state.begin(), optimizer_state.end());
    state.callbacks.clear();
    for (const CallbackState& callback : callbacks) state.callbacks.push_back(record_of(callback));
    state.run = identity;
    if (writes) io::write_file_atomically(backup_file(*backup), training_state_bytes(state));
  };
  if (backup && writes) {
    std::error_code error;
    std::filesystem::create_directories(backup->backup_dir, error);
    if (error) throw Error(backup->backup_dir.string() + ": cannot create the backup folder: " + error.message());
  }

  // After a backup or an earlier fit was taken up: the ranks must start from the same state.
  if (options.collective) check_same_everywhere(*options.collective, target, data, validation, options, state.iteration);
  FlushDenormals flush_denormals;
  if (options.threads != 0) target.set_threads(options.threads);
  // Steps may run on fewer threads than the model's while that is faster; the model gets its count back.
  struct RestoreThreads {
    FitTarget& target;
    std::size_t count;
    ~RestoreThreads() { target.set_threads(count); }
  } restore_threads{target, target.threads()};
  ThreadTuner tuner(target.threads(), options.adapt_threads);
  std::optional<ShardedBatches> sharded;
  if (data.is_shard()) sharded.emplace(data, *options.collective, batch_size);

  const std::size_t batches = (training_rows + batch_size - 1) / batch_size;
  // Each epoch shuffles the order the one before left, that of an earlier fit's last epoch too when it
  // shuffled the same rows with the same seed: a resumed run replays the shuffles done.
  std::vector<std::uint32_t> order(training_rows);
  std::iota(order.begin(), order.end(), 0u);
  if (options.shuffle && carried.order.size() == training_rows && carried.shuffle_seed == options.seed)
    order = carried.order;
  const std::size_t shuffled_epochs = state.batches_done > 0 ? state.epoch : state.epoch - 1;
  if (options.shuffle)
    for (std::size_t epoch = 1; epoch <= shuffled_epochs; ++epoch) shuffle(order, options.seed, epochs_before + epoch);
  // After every epoch, what a later fit continues from.
  const auto record_carried = [&] {
    const std::span<const float> optimizer_state = target.optimizer_state();
    carried.optimizer = optimizer_key;
    carried.optimizer_state.assign(optimizer_state.begin(), optimizer_state.end());
    carried.updates = state.iteration;
    carried.epochs = epochs_before + state.history.epochs();
    carried.dropout_steps = dropout_steps_before + (state.iteration - updates_before);
    carried.shuffle_seed = options.seed;
    carried.order = order;
    carried.loss = options.loss;
  };

  if (resuming && verbose) {
    const std::string path = backup_file(*backup).string();
    if (state.finished)
      std::fprintf(options.log, "%s: the run finished after %zu epochs; its weights and history are restored\n",
                   path.c_str(), state.history.epochs());
    else
      std::fprintf(options.log, "Resuming from %s: epoch %llu, batch %llu of %zu\n", path.c_str(),
                   static_cast<unsigned long long>(state.epoch), static_cast<unsigned long long>(state.batches_done + 1),
                   batches);
  }
  ProgressReport progress(options.log, verbose, options.epochs, batches);
  // Keras's epoch line shows the rate while a callback sets it.
  const bool sets_learning_rate = std::ranges::any_of(options.callbacks, [](const Callback& callback) {
    return std::holds_alternative<LearningRateScheduler>(callback) || std::holds_alternative<ReduceLROnPlateau>(callback);
  });
  History& history = state.history;
  for (; !state.finished && state.epoch <= options.epochs; ++state.epoch, state.batches_done = 0) {
    const std::size_t epoch = std::size_t(state.epoch);
    if (state.batches_done == 0) {
      for (CallbackState& callback : callbacks)
        if (auto* scheduler = std::get_if<LearningRateScheduler>(&callback)) {
          state.learning_rate = scheduler->schedule(epoch - 1, state.learning_rate);
          check_learning_rate(state.learning_rate, "LearningRateScheduler");
        }
      if (options.shuffle) shuffle(order, options.seed, epochs_before + epoch);
      state.loss_sum = 0.0;  // sum over samples of (loss + the penalty of its batch)
      state.correct = state.seen = 0;
    }
    Optimizer optimizer = options.optimizer;
    set_learning_rate(optimizer, state.learning_rate);
    progress.begin_epoch();
    for (std::size_t batch = std::size_t(state.batches_done); batch < batches; ++batch) {
      const std::size_t first = batch * batch_size;
      const std::size_t rows = std::min(batch_size, training_rows - first);
      target.set_threads(tuner.threads());
      const auto started = std::chrono::steady_clock::now();
      const std::span<const std::uint32_t> batch_rows = std::span(order).subspan(first, rows);
      const ShardedBatches::Batch gathered = sharded ? sharded->gather(batch_rows) : ShardedBatches::Batch{data, batch_rows};
      const BatchResult result =
          target.train_batch(gathered.data, gathered.rows, optimizer, ++state.iteration, options.gradient_exchange);
      if (rows == batch_size) tuner.record(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      if (!std::isfinite(result.loss()))
        throw Error("fit: the loss became " + std::to_string(result.loss()) + " in epoch " + std::to_string(epoch) +
                    ", batch " + std::to_string(batch + 1) + " of " + std::to_string(batches) +
                    "; training diverged: lower the learning rate (now " + std::to_string(state.learning_rate) +
                    ") or check the data for NaN or Inf");
      if (!result.finite_gradients)
        throw Error("fit: a gradient became NaN or Inf in epoch " + std::to_string(epoch) + ", batch " +
                    std::to_string(batch + 1) + " of " + std::to_string(batches) + " although the loss was finite (" +
                    std::to_string(result.loss()) +
                    "); the weights it would have changed kept their values. Training diverged: lower the learning "
                    "rate (now " + std::to_string(state.learning_rate) + ") or scale the data (huge inputs overflow)");
      state.loss_sum += result.loss() * double(rows);
      state.correct += result.correct;
      state.seen += rows;
      progress.batch_done(batch + 1, state.loss_sum / double(state.seen), double(state.correct) / double(state.seen));
      if (backup && backup->save_freq > 0 && state.iteration % backup->save_freq == 0 && batch + 1 < batches) {
        state.batches_done = batch + 1;
        write_backup();
      }
    }
    target.set_threads(tuner.chosen());  // for the validation and the callbacks
    history.loss.push_back(state.loss_sum / double(state.seen));
    history.accuracy.push_back(double(state.correct) / double(state.seen));
    if (!validation.empty()) {
      // In batches of the training's size, as Keras's validation_batch_size defaults.
      const Evaluation validated = target.evaluate(validation, options.loss, batch_size);
      history.val_loss.push_back(validated.loss);
      history.val_accuracy.push_back(validated.accuracy);
    }
    history.seconds.push_back(progress.seconds_since_epoch_start());
    history.learning_rate.push_back(state.learning_rate);
    const bool validated = !history.val_loss.empty();
    progress.end_epoch(epoch, history.seconds.back(), history.loss.back(), history.accuracy.back(),
                       validated ? &history.val_loss.back() : nullptr, validated ? &history.val_accuracy.back() : nullptr,
                       sets_learning_rate ? &history.learning_rate.back() : nullptr);

    EpochLogs logs{epoch - 1, history.loss.back(), history.accuracy.back(), {}, {}, state.learning_rate};
    if (validated) logs.val_loss = history.val_loss.back(), logs.val_accuracy = history.val_accuracy.back();
    for (CallbackState& callback : callbacks) {
      if (auto* early = std::get_if<EarlyStopping::State>(&callback)) {
        bool improved = false;
        const bool stop_here = early->should_stop(logs, improved);
        if (improved && early->options.restore_best_weights) state.best_weights = target.snapshot();
        if (stop_here) {
          state.finished = true;
          const bool say = verbose && early->options.verbose;
          if (early->options.restore_best_weights && state.best_weights) {
            if (say) std::fprintf(options.log, "Restoring model weights from the end of the best epoch: %zu.\n", early->best_epoch + 1);
            target.restore(*state.best_weights, "best weights");
          }
          if (say) std::fprintf(options.log, "Epoch %zu: early stopping\n", epoch);
        }
      } else if (auto* plateau = std::get_if<ReduceLROnPlateau::State>(&callback)) {
        const float reduced = plateau->next_learning_rate(logs, state.learning_rate);
        if (reduced != state.learning_rate && verbose)
          std::fprintf(options.log, "Epoch %zu: ReduceLROnPlateau reducing learning rate to %g.\n", epoch, double(reduced));
        state.learning_rate = reduced;
      } else if (auto* checkpoint = std::get_if<ModelCheckpoint::State>(&callback)) {
        const double best_before = checkpoint->improvement.best();
        const bool save = checkpoint->should_save(logs);
        if (save && writes) target.save(checkpoint->options.path);
        if (verbose && checkpoint->options.verbose) say_checkpoint(options.log, epoch, checkpoint->options, best_before, logs, save);
      } else if (const auto* logger = std::get_if<CSVLogger>(&callback)) {
        if (writes) save_csv(history, logger->filename);
      }
    }
    if (epoch == options.epochs) state.finished = true;
    record_carried();
    // The state after this epoch, as the next one starts from it. A finished run whose backup is
    // about to be deleted has nothing to write: killed before the deletion, it redoes the last epoch.
    if (backup && !(state.finished && backup->delete_checkpoint)) {
      ++state.epoch, state.batches_done = 0;
      write_backup();
      --state.epoch;
    }
  }
  record_carried();
  if (backup && backup->delete_checkpoint && writes) {
    std::error_code error;
    std::filesystem::remove(backup_file(*backup), error);
  }
  return std::move(history);
}

}  // namespace ctnn::detail
