// What fit() measured, one entry per epoch, under Keras's names.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <vector>

namespace ctnn {

struct History {
  std::vector<double> loss, accuracy;          // training, averaged over the epoch's batches
  std::vector<double> val_loss, val_accuracy;  // empty without validation data
  std::vector<double> seconds;                 // wall time of each epoch, validation included
  std::vector<double> learning_rate;           // the rate each epoch trained with ("lr" in Keras's logs)

  std::size_t epochs() const { return loss.size(); }

  // A series by Keras's name ("loss", "accuracy", "val_loss", "val_accuracy", "lr"); nullptr for another.
  const std::vector<double>* series(std::string_view name) const {
    if (name == "loss") return &loss;
    if (name == "accuracy") return &accuracy;
    if (name == "val_loss") return &val_loss;
    if (name == "val_accuracy") return &val_accuracy;
    if (name == "lr" || name == "learning_rate") return &learning_rate;
    return nullptr;
  }

  // The epoch (counted from 0) with the best value of `monitor` (the first, if tied), best as Keras's
  // callbacks decide in their "auto" mode: the largest accuracy, the smallest loss. epochs() when the
  // series is unknown or empty (no validation data).
  std::size_t best_epoch(std::string_view monitor = "val_loss") const {
    const std::vector<double>* values = series(monitor);
    if (!values || values->empty() || monitor == "lr" || monitor == "learning_rate") return epochs();
    const bool larger_is_better = monitor.find("acc") != std::string_view::npos;
    return std::size_t((larger_is_better ? std::ranges::max_element(*values) : std::ranges::min_element(*values)) -
                       values->begin());
  }
};

}  // namespace ctnn
