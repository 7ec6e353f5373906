// A labelled data set in memory (samples scaled to [0, 1]) and a non-owning view of one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../error.hpp"

namespace ctnn {

// What fit(), evaluate() and predict() read: `count` samples of `features` floats each.
// The sources name the files, so that errors about the data can point at them.
struct DatasetView {
  const float* images = nullptr;
  const std::uint8_t* labels = nullptr;
  std::size_t count = 0;
  std::size_t features = 0;
  std::string_view images_source;
  std::string_view labels_source;
  // A process's shard of a larger set (io::read_idx reads one for a ProcessShare): these are its rows
  // [first_row, first_row + count) of whole_count. 0: the view is a whole set.
  std::size_t first_row = 0, whole_count = 0;

  bool empty() const { return count == 0; }
  bool is_shard() const { return whole_count != 0; }
  const float* sample(std::size_t i) const { return images + i * features; }

  // Samples [first, last), e.g. for a validation split.
  DatasetView slice(std::size_t first, std::size_t last) const {
    if (first > last || last > count)
      throw Error("slice(" + std::to_string(first) + ", " + std::to_string(last) + ") is outside the " +
                  std::to_string(count) + " samples of " + std::string(images_source));
    return {images + first * features, labels + first, last - first, features, images_source, labels_source,
            is_shard() ? first_row + first : 0, whole_count};
  }
};

struct Dataset {
  std::vector<float> images;  // count x features, row-major
  std::vector<std::uint8_t> labels;
  std::size_t count = 0;
  std::size_t features = 0;
  std::size_t image_rows = 0, image_cols = 0;  // features == image_rows * image_cols
  std::string images_source, labels_source;
  std::size_t first_row = 0, whole_count = 0;  // as DatasetView's: of a shard, 0 for a whole set

  bool is_shard() const { return whole_count != 0; }
  const float* sample(std::size_t i) const { return images.data() + i * features; }
  DatasetView view() const {
    return {images.data(), labels.data(), count, features, images_source, labels_source, first_row, whole_count};
  }
  operator DatasetView() const { return view(); }
  DatasetView slice(std::size_t first, std::size_t last) const { return view().slice(first, last); }
};

struct TrainTestData {
  Dataset train, test;
};

}  // namespace ctnn
