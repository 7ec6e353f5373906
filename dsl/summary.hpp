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
inline std::string with_thousands(std::size_t n) {
  std::string digits = std::to_string(n), text;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) text += ',';
    text += digits[i];
  }
  return text;
}

// "322,230 (1.23 MB, 1,288,920 bytes)": float32 parameters, sizes in units of 1024 as Keras 3.
inline std::string count_and_size(std::size_t parameters) {
  const std::size_t bytes = parameters * sizeof(float);
  double size = double(bytes);
  const char* unit = "B";
  for (const char* larger : {"KB", "MB", "GB"}) {
    if (size < 1024.0) break;
    size /= 1024.0;
    unit = larger;
  }
  char text[96];
  std::snprintf(text, sizeof text, " (%.2f %s, %s bytes)", size, unit, with_thousands(bytes).c_str());
  return with_thousands(parameters) + text;
}

}  // namespace detail

inline std::string format_summary(std::span<const SummaryRow> rows, std::string_view model_name = "sequential") {
  constexpr int name_width = 29, shape_width = 26;
  const std::string rule(65, '_'), double_rule(65, '=');
  std::string text = "Model: \"" + std::string(model_name) + "\"\n" + rule + "\n";
  char line[160];
  std::snprintf(line, sizeof line, " %-*s%-*s%s\n", name_width - 1, "Layer (type)", shape_width, "Output Shape", "Param #");
  text += line + double_rule + "\n";
  const std::vector<std::string> names = keras_layer_names(rows.size(), [&](std::size_t i) { return rows[i].type; });
  std::size_t trainable = 0, non_trainable = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const SummaryRow& row = rows[i];
    const std::string label = names[i] + " (" + std::string(row.type) + ")";
    std::string shape = "(None";
    for (std::size_t d = 0; d < row.output_rank; ++d) shape.append(", ").append(std::to_string(row.output[d]));
    shape += ")";
    // A label wider than its column wraps onto the next lines, as Keras 2 prints it.
    constexpr std::size_t label_width = name_width - 2;
    std::snprintf(line, sizeof line, " %-*s%-*s%s\n", name_width - 1, label.substr(0, label_width).c_str(), shape_width,
                  shape.c_str(), detail::with_thousands(row.trainable + row.non_trainable).c_str());
    text += line;
    for (std::size_t at = label_width; at < label.size(); at += label_width)
      text.append(" ").append(label.substr(at, label_width)).append("\n");
    trainable += row.trainable;
    non_trainable += row.non_trainable;
  }
  text += double_rule + "\n";
  text += "Total params: " + detail::count_and_size(trainable + non_trainable) + "\n";
  text += "Trainable params: " + detail::count_and_size(trainable) + "\n";
  text += "Non-trainable params: " + detail::count_and_size(non_trainable) + "\n";
  return text + rule + "\n";
}

}  // namespace ctnn
