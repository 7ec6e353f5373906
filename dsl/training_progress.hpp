// What a fit() leaves in its model for the next fit() on the same model, so that training in several
// calls continues as Keras's does: the optimiser keeps its state and step count, the shuffling and
// the dropout masks go on where they stopped, and evaluate() uses the loss the model was trained with.
// fit(model, 10 epochs) then fit(model, 25 epochs) gives, bit for bit, the weights of fit(model, 35 epochs).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "losses.hpp"

namespace ctnn {

struct TrainingProgress {
  // The optimiser whose state this is, every coefficient but the learning rate (a later fit may change
  // the rate and continue, as a Keras user sets optimizer.learning_rate); empty before the first fit.
  // A fit with another optimiser starts its state afresh, as a Keras model compiled again does.
  std::string optimizer;
  std::vector<float> optimizer_state;
  std::uint64_t updates = 0;  // of that optimiser: Adam's step count

  std::uint64_t epochs = 0;              // trained by every fit so far: the next epoch's shuffle is number epochs + 1
  std::uint64_t dropout_steps = 0;       // batches trained so far: the dropout masks' stream position
  std::uint64_t shuffle_seed = 0;        // the seed of the shuffles that left `order`
  std::vector<std::uint32_t> order;      // the row order the last epoch trained in; the next epoch shuffles it

  Loss loss{};  // of the last fit, evaluate()'s default

  bool trained() const { return !optimizer.empty(); }
};

}  // namespace ctnn
