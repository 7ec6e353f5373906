#include "callbacks.hpp"

#include <algorithm>
#include <type_traits>

namespace ctnn {

double EpochLogs::get(const std::string& monitor) const {
  if (monitor == "loss") return loss;
  if (monitor == "accuracy") return accuracy;
  const std::optional<double>& value = monitor == "val_loss" ? val_loss : val_accuracy;
  if (monitor != "val_loss" && monitor != "val_accuracy")
    throw Error("callbacks: unknown monitor '" + monitor + "' (loss, accuracy, val_loss or val_accuracy)");
  if (!value) throw Error("callbacks: monitor '" + monitor + "' needs validation data (FitOptions::validation or validation_split)");
  return *value;
}

bool EarlyStopping::State::should_stop(const EpochLogs& logs, bool& improved) {
  const double current = logs.get(options.monitor);
  improved = improvement.improves(current);
  if (improved) {
    improvement.set_best(current);
    best_epoch = logs.epoch;
    wait = 0;
    return false;
  }
  ++wait;
  return wait >= options.patience && logs.epoch > 0;
}

ReduceLROnPlateau::State::State(const ReduceLROnPlateau& given) : options(given), improvement(given.monitor, given.mode, given.min_delta) {
  if (!(options.factor < 1.0) || !(options.factor >= 0.0))
    throw Error("ReduceLROnPlateau: factor must be in [0, 1), not " + std::to_string(options.factor));
}

float ReduceLROnPlateau::State::next_learning_rate(const EpochLogs& logs, float learning_rate) {
  const double current = logs.get(options.monitor);
  if (cooldown_left > 0) {
    --cooldown_left;
    wait = 0;
  }
  if (improvement.improves(current)) {
    improvement.set_best(current);
    wait = 0;
  } else if (cooldown_left == 0 && ++wait >= options.patience) {
    if (double(learning_rate) > options.min_lr) {
      learning_rate = float(std::max(double(learning_rate) * options.factor, options.min_lr));
      cooldown_left = options.cooldown;
    }
    wait = 0;
  }
  return learning_rate;
}

bool ModelCheckpoint::State::should_save(const EpochLogs& logs) {
  if (!options.save_best_only) return true;
  const double current = logs.get(options.monitor);
  if (!improvement.improves(current)) return false;
  improvement.set_best(current);
  return true;
}

}  // namespace ctnn

namespace ctnn::detail {

std::vector<CallbackState> start_callbacks(const std::vector<Callback>& callbacks) {
  std::vector<CallbackState> states;
  for (const Callback& callback : callbacks)
    std::visit(
        [&]<class C>(const C& c) {
          if constexpr (std::is_same_v<C, LearningRateScheduler> || std::is_same_v<C, CSVLogger> ||
                        std::is_same_v<C, BackupAndRestore>)
            states.emplace_back(c);
          else states.emplace_back(typename C::State(c));
        },
        callback);
  return states;
}

}  // namespace ctnn::detail
