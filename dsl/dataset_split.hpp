// A seeded, shuffled split of a data set into training and validation samples, as the published
// CNN runs make theirs (scikit-learn's train_test_split): unlike fit's validation_split, which holds
// out the last rows as Keras does, every class lands in both parts in proportion.
#pragma once

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <string>
#include <vector>

#include "../error.hpp"
#include "dataset.hpp"
#include "random.hpp"

namespace ctnn {

struct DatasetSplit {
  Dataset train, validation;
};

// `validation_count` samples drawn without replacement (the same seed, the same draw), the rest
// kept for training; both parts keep the samples' original order.
inline DatasetSplit shuffled_split(const Dataset& data, std::size_t validation_count, Seed seed) {
  if (validation_count == 0 || validation_count >= data.count)
    throw Error("shuffled_split: cannot hold out " + std::to_string(validation_count) + " of the " +
                std::to_string(data.count) + " samples of " + data.images_source +
                " for validation (at least 1, and fewer than all)");
  std::vector<std::size_t> order(data.count);
  std::iota(order.begin(), order.end(), std::size_t{0});
  Rng rng(seed.value, 0x5b117);
  for (std::size_t i = order.size() - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
  std::vector<bool> held_out(data.count, false);
  for (std::size_t i = 0; i < validation_count; ++i) held_out[order[i]] = true;

  DatasetSplit split;
  for (Dataset* part : {&split.train, &split.validation}) {
    part->features = data.features;
    part->image_rows = data.image_rows, part->image_cols = data.image_cols;
    part->images_source = data.images_source, part->labels_source = data.labels_source;
  }
  split.validation.count = validation_count;
  split.train.count = data.count - validation_count;
  for (Dataset* part : {&split.train, &split.validation}) {
    part->images.reserve(part->count * data.features);
    part->labels.reserve(part->count);
  }
  for (std::size_t i = 0; i < data.count; ++i) {
    Dataset& part = held_out[i] ? split.validation : split.train;
    part.images.insert(part.images.end(), data.sample(i), data.sample(i) + data.features);
    part.labels.push_back(data.labels[i]);
  }
  return split;
}

}  // namespace ctnn
