// Initial parameter values, the same for both backends: every tensor from its initialiser. The
// k-th layer whose initial values come from the seed (LayerTraits::seeded) draws from random
// stream k, in the order of its tensors, row by row; padding is zero.
#pragma once

#include <algorithm>
#include <cstddef>

#include "../codegen/matrix_view.hpp"
#include "../dsl/random.hpp"
#include "derived.hpp"
#include "protocol.hpp"

namespace ctnn::layers {

// `model`: a backend's parameters as the layers list them (layer_count(), traits(i), tensors(i),
// tensor(i, k)).
template <class Model>
void initialize_parameters(Model& model, Seed seed) {
  const std::size_t count = model.layer_count();
  std::vector<std::size_t> streams(count);
  assign_random_streams(count, [&](std::size_t i) { return model.traits(i).seeded; }, streams);
  for (std::size_t i = 0; i < count; ++i) {
    Rng rng(seed.value, streams[i]);
    for (std::size_t k = 0; k < model.tensors(i).size(); ++k) {
      const Tensor& t = model.tensors(i)[k];
      MatrixView<float> values = model.tensor(i, k);
      std::fill_n(values.data, t.stored_floats(), 0.0f);
      for (std::size_t r = 0; r < t.rows; ++r)
        for (std::size_t c = 0; c < t.columns; ++c) values(r, c) = t.initializer.sample(rng, t.rows, t.fan_out());
    }
  }
}

}  // namespace ctnn::layers
