// Seeded, shuffled splits of a data set into training and validation samples, as the published CNN runs
// make theirs (scikit-learn's train_test_split): unlike fit's validation_split, which holds out the last
// rows as Keras does, the held-out samples come from everywhere; stratified_split keeps each class's share.
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

namespace detail {

inline void check_split(const Dataset& data, std::size_t validation_count, const char* function) {
  if (validation_count == 0 || validation_count >= data.count)
    throw Error(std::string(function) + ": cannot hold out " + std::to_string(validation_count) + " of the " +
                std::to_string(data.count) + " samples of " + data.images_source +
                " for validation (at least 1, and fewer than all)");
}

// The samples marked held out go to validation, the others to training, both in their original order.
inline DatasetSplit split_by(const Dataset& data, const std::vector<bool>& held_out, std::size_t validation_count) {
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

// A seeded permutation of `items` (Fisher-Yates on the library's generator).
inline void shuffle_items(std::vector<std::size_t>& items, Rng& rng) {
  for (std::size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[rng.below(i)]);
}

}  // namespace detail

// `validation_count` samples drawn without replacement (the same seed, the same draw), the rest
// kept for training; both parts keep the samples' original order.
inline DatasetSplit shuffled_split(const Dataset& data, std::size_t validation_count, Seed seed) {
  detail::check_split(data, validation_count, "shuffled_split");
  std::vector<std::size_t> order(data.count);
  std::iota(order.begin(), order.end(), std::size_t{0});
  Rng rng(seed.value, 0x5b117);
  detail::shuffle_items(order, rng);
  std::vector<bool> held_out(data.count, false);
  for (std::size_t i = 0; i < validation_count; ++i) held_out[order[i]] = true;
  return detail::split_by(data, held_out, validation_count);
}

// As shuffled_split, with every class held out in proportion to its share of the data (scikit-learn's
// train_test_split(stratify=labels)): class c gives validation_count * count_c / count samples, rounded
// down, and the samples still missing go to the classes with the largest remainders (ties: the lower label).
inline DatasetSplit stratified_split(const Dataset& data, std::size_t validation_count, Seed seed) {
  detail::check_split(data, validation_count, "stratified_split");
  std::vector<std::vector<std::size_t>> members(256);
  for (std::size_t i = 0; i < data.count; ++i) members[data.labels[i]].push_back(i);
  std::vector<std::size_t> share(256);
  std::vector<std::pair<std::size_t, std::size_t>> remainders;  // (remainder x count, label)
  std::size_t given = 0;
  for (std::size_t label = 0; label < 256; ++label) {
    const std::size_t scaled = validation_count * members[label].size();
    share[label] = scaled / data.count, given += share[label];
    if (!members[label].empty()) remainders.emplace_back(scaled % data.count, label);
  }
  std::ranges::stable_sort(remainders, [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; given < validation_count; ++k, ++given) ++share[remainders[k % remainders.size()].second];
  Rng rng(seed.value, 0x57a7);
  std::vector<bool> held_out(data.count, false);
  for (std::size_t label = 0; label < 256; ++label) {
    detail::shuffle_items(members[label], rng);
    for (std::size_t k = 0; k < share[label]; ++k) held_out[members[label][k]] = true;
  }
  return detail::split_by(data, held_out, validation_count);
}

}  // namespace ctnn
