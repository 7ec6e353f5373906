// fit() for an engine::Network with a mini-batch size chosen at run time. It runs the one
// training loop of train/fit.hpp; fit<Batch>(network, ...) works as well.
#pragma once

#include <cstddef>

#include "../engine/network.hpp"
#include "../engine/training_step.hpp"
#include "fit.hpp"

namespace ctnn::engine {

inline History fit(Network& network, const DatasetView& data, std::size_t batch_size, const FitOptions& options = {}) {
  TrainingStep step(network, batch_size);
  return ctnn::detail::fit_with_step(network, step, data, options);
}

}  // namespace ctnn::engine
