#include "summary.hpp"

namespace ctnn {

std::string detail::with_thousands(std::size_t n) {
  std::string digits = std::to_string(n), text;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) text += ',';
    text += digits[i];
  }
  return text;
}

std::string detail::count_and_size(std::size_t parameters) {
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

std::string format_summary(std::span<const SummaryRow> rows, std::string_view model_name) {
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
