// summary(): a network as Keras's model.summary() prints it, one row per layer as written
// (Keras's layer names: dense, dense_1, dropout, ...), then the parameter totals and their size.
#pragma once

#include <array>
#include <cstddef>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keras_names.hpp"

namespace ctnn {

struct SummaryRow {
  std::string_view type;              // Keras's class name: "Dense", "Dropout"
  std::array<std::size_t, 3> output{};  // the output shape of one sample: output_rank extents
  std::size_t output_rank = 1;
  std::size_t trainable = 0;
  std::size_t non_trainable = 0;
};

namespace detail {

// 1234567 -> "1,234,567"
std::string with_thousands(std::size_t n);

// "322,230 (1.23 MB, 1,288,920 bytes)": float32 parameters, sizes in units of 1024 as Keras 3.
std::string count_and_size(std::size_t parameters);

}  // namespace detail

std::string format_summary(std::span<const SummaryRow> rows, std::string_view model_name = "sequential");

}  // namespace ctnn
