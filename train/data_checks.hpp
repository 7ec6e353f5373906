// Checks that a data set fits a network before any work is done on it.
#pragma once

#include <cstddef>
#include <string>

#include "../error.hpp"
#include "../dsl/dataset.hpp"
#include "backend.hpp"

namespace ctnn {

namespace detail {

inline std::string source_of(const DatasetView& data, const char* role) {
  return data.images_source.empty() ? std::string(role) : std::string(data.images_source);
}

// Whether no value is NaN or infinite.
bool all_finite(const float* values, std::size_t count);

// check_input_size and check_fits for a network of `inputs` inputs and `classes` outputs, `network` its description.
void check_input_size(const DatasetView& data, const char* role, std::size_t inputs, const std::string& network);
void check_fits(const DatasetView& data, const char* role, std::size_t inputs, std::size_t classes, const std::string& network);

}  // namespace detail

// `role` says what the data is for ("training data", "validation data") in the message.
template <Backend M>
void check_input_size(const M& model, const DatasetView& data, const char* role) {
  detail::check_input_size(data, role, model.input_size(), model.describe());
}

// Everything fit() and evaluate() need: samples, their size, finite values, labels within the classes.
template <Backend M>
void check_fits(const M& model, const DatasetView& data, const char* role) {
  detail::check_fits(data, role, model.input_size(), model.output_size(), model.describe());
}

}  // namespace ctnn
