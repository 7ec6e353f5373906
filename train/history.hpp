// What fit() measured, one entry per epoch, under Keras's names.
#pragma once

#include <cstddef>
#include <vector>

namespace ctnn {

struct History {
  std::vector<double> loss, accuracy;          // training, averaged over the epoch's batches
  std::vector<double> val_loss, val_accuracy;  // empty without validation data
  std::vector<double> seconds;                 // wall time of each epoch, validation included
  std::vector<double> learning_rate;           // the rate each epoch trained with ("lr" in Keras's logs)

  std::size_t epochs() const { return loss.size(); }
};

}  // namespace ctnn
