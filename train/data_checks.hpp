// Checks that a data set fits a network before any work is done on it.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>

#include "../dsl/net.hpp"
#include "../error.hpp"
#include "../io/dataset.hpp"

namespace ctnn {

namespace detail {
inline std::string source_of(const DatasetView& data, const char* role) {
  return data.images_source.empty() ? std::string(role) : std::string(data.images_source);
}
}  // namespace detail

// `role` says what the data is for ("training data", "validation data") in the message.
template <NetType N>
void check_input_size(const DatasetView& data, const char* role) {
  if (data.features != N::input_size)
    throw Error(detail::source_of(data, role) + ": " + role + " has " + std::to_string(data.features) +
                " values per sample but " + N::describe() + " reads " + std::to_string(N::input_size));
}

// Everything fit() and evaluate() need: samples, their size, finite values, labels within the classes.
template <NetType N>
void check_fits(const DatasetView& data, const char* role) {
  const std::string source = detail::source_of(data, role);
  if (data.empty()) throw Error(std::string(role) + " " + source + " holds no samples");
  check_input_size<N>(data, role);
  for (std::size_t i = 0; i < data.count * data.features; ++i)
    if (!std::isfinite(data.images[i]))
      throw Error(source + ": " + role + " sample " + std::to_string(i / data.features) + " holds " +
                  std::to_string(data.images[i]) + " at position " + std::to_string(i % data.features));
  for (std::size_t i = 0; i < data.count; ++i)
    if (data.labels[i] >= N::output_size)
      throw Error((data.labels_source.empty() ? std::string(role) : std::string(data.labels_source)) + ": label " +
                  std::to_string(data.labels[i]) + " of sample " + std::to_string(i) + " is outside 0.." +
                  std::to_string(N::output_size - 1) + " (the network has " + std::to_string(N::output_size) +
                  " outputs)");
}

}  // namespace ctnn
