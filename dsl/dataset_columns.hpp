// A data set made of some of another's features, such as the 70 pixels a random forest ranks most
// important (scikit-learn's X[:, columns]).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "../error.hpp"
#include "dataset.hpp"

namespace ctnn {

// The samples of `data` reduced to `columns` (feature indices, in the order given, each once). The
// result is a row of features, not an image: its image_rows and image_cols are 0.
inline Dataset select_columns(const DatasetView& data, std::span<const std::size_t> columns) {
  const std::string where = "select_columns on " + std::string(data.images_source);
  if (columns.empty()) throw Error(where + ": no columns given");
  std::vector<bool> taken(data.features, false);
  for (std::size_t column : columns) {
    if (column >= data.features)
      throw Error(where + ": column " + std::to_string(column) + " is outside its " + std::to_string(data.features) +
                  " features (0 to " + std::to_string(data.features - 1) + ")");
    if (taken[column]) throw Error(where + ": column " + std::to_string(column) + " is selected twice");
    taken[column] = true;
  }
  Dataset selected;
  selected.count = data.count;
  selected.features = columns.size();
  selected.images_source = std::string(data.images_source) + " (" + std::to_string(columns.size()) + " columns)";
  selected.labels_source = std::string(data.labels_source);
  selected.labels.assign(data.labels, data.labels + data.count);
  selected.images.reserve(data.count * columns.size());
  for (std::size_t i = 0; i < data.count; ++i)
    for (std::size_t column : columns) selected.images.push_back(data.sample(i)[column]);
  return selected;
}

}  // namespace ctnn
