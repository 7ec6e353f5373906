// summary(): a network as Keras's model.summary() prints it, one row per layer as written
// (Keras's layer names: dense, dense_1, dropout, ...), then the parameter totals and their size.
#pragma once

#include <cstddef>
#include <cstdio>
#include <map>
#include <span>
#include <string>
#include <string_view>

namespace ctnn {

struct SummaryRow {
  std::string_view type;  // Keras's class name: "Dense", "Dropout"
  std::size_t outputs = 0;
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
  std::map<std::string, std::size_t, std::less<>> seen;  // per type, for Keras's names: dense, dense_1, ...
  std::size_t trainable = 0, non_trainable = 0;
  for (const SummaryRow& row : rows) {
    std::string name;
    for (char c : row.type) {  // "BatchNormalization" -> "batch_normalization"
      if (c >= 'A' && c <= 'Z') {
        if (!name.empty()) name += '_';
        name += char(c - 'A' + 'a');
      } else {
        name += c;
      }
    }
    const std::size_t index = seen[name]++;
    if (index > 0) name.append("_").append(std::to_string(index));
    const std::string label = name + " (" + std::string(row.type) + ")";
    const std::string shape = "(None, " + std::to_string(row.outputs) + ")";
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
