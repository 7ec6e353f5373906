// What one training step reports, on either backend.
#pragma once

#include <cstddef>

namespace ctnn {

struct BatchResult {
  double loss_sum = 0.0;  // sum over the batch of each sample's loss
  double penalty = 0.0;   // regularisation penalty of the weights the step started from
  std::size_t correct = 0;
  std::size_t rows = 0;
  bool finite_gradients = true;  // false when a gradient was NaN or Inf (and not applied)
  // The batch's loss as Keras reports it: mean loss plus penalty.
  double loss() const { return loss_sum / double(rows) + penalty; }
};

}  // namespace ctnn
