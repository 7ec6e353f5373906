// Keras's training callbacks, with Keras's defaults and decisions: EarlyStopping,
// ReduceLROnPlateau, LearningRateScheduler, ModelCheckpoint, CSVLogger and BackupAndRestore. Each
// deciding one is a small state machine that fit() feeds with the epoch's logs; its decisions are
// tested on scripted sequences.
#pragma once

#include <cmath>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "../error.hpp"

namespace ctnn {

// What an epoch ends with, under Keras's names.
struct EpochLogs {
  std::size_t epoch = 0;  // counted from 0, as Keras's callbacks see it
  double loss = 0.0, accuracy = 0.0;
  std::optional<double> val_loss, val_accuracy;
  double learning_rate = 0.0;

  // The monitored quantity: "loss", "accuracy", "val_loss" or "val_accuracy".
  double get(const std::string& monitor) const;
};

enum class Mode { automatic, min, max };

namespace detail {

// Whether `current` improves on `best` by more than min_delta, for the mode Keras would choose
// ("auto": larger is better for accuracies, smaller for losses).
class Improvement {
 public:
  Improvement(const std::string& monitor, Mode mode, double min_delta)
      : maximize_(mode == Mode::max || (mode == Mode::automatic && monitor.find("acc") != std::string::npos)),
        min_delta_(std::abs(min_delta)),
        best_(maximize_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity()) {}

  bool improves(double current) const { return maximize_ ? current - min_delta_ > best_ : current + min_delta_ < best_; }
  void set_best(double current) { best_ = current; }
  double best() const { return best_; }

 private:
  bool maximize_;
  double min_delta_;
  double best_;
};

}  // namespace detail

// Stops training when the monitored quantity has not improved for `patience` epochs.
struct EarlyStopping {
  std::string monitor = "val_loss";
  double min_delta = 0.0;
  std::size_t patience = 0;
  Mode mode = Mode::automatic;
  bool restore_best_weights = false;  // when it stops, go back to the weights of the best epoch
  bool verbose = true;                // say when it stops and which weights it restores (with fit's verbose)

  struct State;  // the running decisions; defined below
};

struct EarlyStopping::State {
  explicit State(const EarlyStopping& given) : options(given), improvement(given.monitor, given.mode, given.min_delta) {}
  // After each epoch: whether to stop; `improved` tells whether this epoch is the best so far.
  bool should_stop(const EpochLogs& logs, bool& improved);
  EarlyStopping options;
  detail::Improvement improvement;
  std::size_t wait = 0;
  std::size_t best_epoch = 0;  // of the best value so far, counted from 0
};

// Multiplies the learning rate by `factor` when the monitored quantity has not improved for
// `patience` epochs, then waits `cooldown` epochs; never below min_lr.
struct ReduceLROnPlateau {
  std::string monitor = "val_loss";
  double factor = 0.1;
  std::size_t patience = 10;
  Mode mode = Mode::automatic;
  double min_delta = 1e-4;
  std::size_t cooldown = 0;
  double min_lr = 0.0;

  struct State;  // the running decisions; defined below
};

struct ReduceLROnPlateau::State {
  explicit State(const ReduceLROnPlateau& given);
  // After each epoch: the learning rate for the next one.
  float next_learning_rate(const EpochLogs& logs, float learning_rate);
  ReduceLROnPlateau options;
  detail::Improvement improvement;
  std::size_t wait = 0, cooldown_left = 0;
};

// Sets the learning rate at the start of each epoch: schedule(epoch counted from 0, current rate).
struct LearningRateScheduler {
  std::function<float(std::size_t epoch, float learning_rate)> schedule;
};

// Saves the model after each epoch (atomically), or with save_best_only only when the monitored
// quantity improves (strictly, as Keras compares).
struct ModelCheckpoint {
  std::filesystem::path path;
  std::string monitor = "val_loss";
  bool save_best_only = false;
  Mode mode = Mode::automatic;
  bool verbose = true;  // say what it saves, and when the monitored quantity did not improve (with fit's verbose)

  struct State;  // the running decisions; defined below
};

struct ModelCheckpoint::State {
  explicit State(const ModelCheckpoint& given) : options(given), improvement(given.monitor, given.mode, 0.0) {}
  bool should_save(const EpochLogs& logs);
  ModelCheckpoint options;
  detail::Improvement improvement;
};

// Writes the history so far (to_csv: Keras's CSVLogger columns) after each epoch, whole and
// atomically, so that a reader following a run (ctnn-plot --watch) never sees half a file.
struct CSVLogger {
  std::filesystem::path filename;
};

// Makes training survive a crash or a kill, as Keras's BackupAndRestore: fit() writes its whole state
// (weights, optimiser state, counters, the callbacks' decisions, the history so far; train/
// training_state.hpp) to backup_dir atomically, and a fit() that finds a backup there goes on from it,
// bit for bit as if it had never been interrupted (History::seconds aside). The resumed run must use
// the same data size, batch size, seed, loss, optimiser and callbacks; fit() says which differs.
struct BackupAndRestore {
  std::filesystem::path backup_dir;
  std::size_t save_freq = 0;     // 0: at the end of every epoch (Keras's "epoch"); N: also every N batches
  bool delete_checkpoint = true;  // remove the backup when training ends
};

// Where BackupAndRestore keeps the state in its folder.
inline std::filesystem::path backup_file(const BackupAndRestore& backup) { return backup.backup_dir / "training_state.ctnnbak"; }

using Callback =
    std::variant<EarlyStopping, ReduceLROnPlateau, LearningRateScheduler, ModelCheckpoint, CSVLogger, BackupAndRestore>;

namespace detail {

// The callbacks' running state, one per callback, in the order given.
using CallbackState = std::variant<EarlyStopping::State, ReduceLROnPlateau::State, LearningRateScheduler,
                                   ModelCheckpoint::State, CSVLogger, BackupAndRestore>;

std::vector<CallbackState> start_callbacks(const std::vector<Callback>& callbacks);

}  // namespace detail

}  // namespace ctnn
