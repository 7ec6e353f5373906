// Small deterministic inputs for tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctnn/ctnn.hpp>
#include <vector>

namespace testing {

// rows x features values in [0, 1) and labels in [0, classes), from a seed.
struct Batch {
  std::vector<float> x;
  std::vector<std::uint8_t> labels;
  std::size_t rows = 0, features = 0;

  ctnn::DatasetView view() const { return {x.data(), labels.data(), rows, features, "test batch", "test labels"}; }
  std::vector<double> x_double() const { return {x.begin(), x.end()}; }
  std::vector<int> labels_int() const { return {labels.begin(), labels.end()}; }
};

inline Batch random_batch(std::size_t rows, std::size_t features, std::size_t classes, std::uint64_t seed) {
  ctnn::Rng rng(seed, 1000);
  Batch batch{std::vector<float>(rows * features), std::vector<std::uint8_t>(rows), rows, features};
  for (float& v : batch.x) v = float(rng.uniform());
  for (auto& label : batch.labels) label = std::uint8_t(rng.below(classes));
  return batch;
}

inline std::vector<std::uint32_t> first_indices(std::size_t n) {
  std::vector<std::uint32_t> indices(n);
  for (std::size_t i = 0; i < n; ++i) indices[i] = std::uint32_t(i);
  return indices;
}

}  // namespace testing
