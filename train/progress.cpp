#include "progress.hpp"

#include <cmath>

namespace ctnn {

void ProgressReport::batch_done(std::size_t batch, double loss, double accuracy) {
  if (!live_) return;
  const auto now = clock::now();
  if (batch != batches_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  constexpr int width = 30;
  const int filled = int(double(width) * double(batch) / double(batches_));
  std::string bar(std::size_t(filled), '=');
  if (filled < width) bar += '>' + std::string(std::size_t(width - filled - 1), '.');
  std::fprintf(out_, "\r%*zu/%zu [%s] - %.1fs - loss: %.4f - accuracy: %.4f", digits(batches_), batch, batches_,
               bar.c_str(), seconds_since(epoch_start_), loss, accuracy);
  std::fflush(out_);
}

void ProgressReport::end_epoch(std::size_t epoch, double seconds, double loss, double accuracy, const double* val_loss,
                               const double* val_accuracy, const double* learning_rate) {
  if (!enabled_) return;
  if (live_) std::fputs("\r\033[K", out_);
  std::fprintf(out_, "Epoch %zu/%zu - %.2fs - loss: %.4f - accuracy: %.4f", epoch, epochs_, seconds, loss, accuracy);
  if (val_loss) std::fprintf(out_, " - val_loss: %.4f - val_accuracy: %.4f", *val_loss, *val_accuracy);
  // As Keras's progress bar writes a value: 4 decimals, or 4 significant digits below 0.001.
  if (learning_rate) std::fprintf(out_, std::abs(*learning_rate) > 1e-3 ? " - learning_rate: %.4f" : " - learning_rate: %.4e", *learning_rate);
  std::fputc('\n', out_);
  std::fflush(out_);
}

}  // namespace ctnn
