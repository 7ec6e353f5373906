// Keras-style progress: a live bar while an epoch runs (terminals only) and one line per epoch:
//   Epoch 3/10 - 0.41s - loss: 0.4903 - accuracy: 0.8726 - val_loss: 0.5012 - val_accuracy: 0.8265
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace ctnn {

class ProgressReport {
 public:
  using clock = std::chrono::steady_clock;

  ProgressReport(std::FILE* out, bool enabled, std::size_t epochs, std::size_t batches)
      : out_(out), enabled_(enabled && out != nullptr), live_(enabled_ && isatty(fileno(out))), epochs_(epochs),
        batches_(batches) {}

  void begin_epoch() { epoch_start_ = last_draw_ = clock::now(); }

  // Redraws the bar at most ten times a second, so that drawing never costs training time.
  void batch_done(std::size_t batch, double loss, double accuracy);

  double seconds_since_epoch_start() const { return seconds_since(epoch_start_); }

  // The epoch's line, as Keras's; the learning rate when given (Keras shows it while a callback sets it).
  void end_epoch(std::size_t epoch, double seconds, double loss, double accuracy, const double* val_loss,
                 const double* val_accuracy, const double* learning_rate = nullptr);

 private:
  static int digits(std::size_t n) { return int(std::to_string(n).size()); }
  static double seconds_since(clock::time_point start) {
    return std::chrono::duration<double>(clock::now() - start).count();
  }

  std::FILE* out_;
  bool enabled_, live_;
  std::size_t epochs_, batches_;
  clock::time_point epoch_start_, last_draw_;
};

}  // namespace ctnn
