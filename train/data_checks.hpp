// Checks that a data set fits a network before any work is done on it.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>

#include "../error.hpp"
#include "../io/dataset.hpp"
#include "backend.hpp"

namespace ctnn {

namespace detail {
inline std::string source_of(const DatasetView& data, const char* role) {
  return data.images_source.empty() ? std::string(role) : std::string(data.images_source);
}
}  // namespace detail

// `role` says what the data is for ("training data", "validation data") in the message.
template <Backend M>
void check_input_size(const M& model, const DatasetView& data, const char* role) {
  if (data.features != model.input_size())
    throw Error(detail::source_of(data, role) + ": " + role + " has " + std::to_string(data.features) +
                " values per sample but " + model.describe() + " reads " + std::to_string(model.input_size()));
}

// Everything fit() and evaluate() need: samples, their size, finite values, labels within the classes.
template <Backend M>
void check_fits(const M& model, const DatasetView& data, const char* role) {
  const std::size_t classes = model.output_size();
  const std::string source = detail::source_of(data, role);
  if (data.empty()) throw Error(std::string(role) + " " + source + " holds no samples");
  check_input_size(model, data, role);
  for (std::size_t i = 0; i < data.count * data.features; ++i)
    if (!std::isfinite(data.images[i]))
      throw Error(source + ": " + role + " sample " + std::to_string(i / data.features) + " holds " +
                  std::to_string(data.images[i]) + " at position " + std::to_string(i % data.features));
  for (std::size_t i = 0; i < data.count; ++i)
    if (data.labels[i] >= classes)
      throw Error((data.labels_source.empty() ? std::string(role) : std::string(data.labels_source)) + ": label " +
                  std::to_string(data.labels[i]) + " of sample " + std::to_string(i) + " is outside 0.." +
                  std::to_string(classes - 1) + " (the network has " + std::to_string(classes) +
                  " outputs)");
}

}  // namespace ctnn
