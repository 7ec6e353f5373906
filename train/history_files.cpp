#include "history_files.hpp"

#include <charconv>

namespace ctnn {

std::string detail::shortest(double value) {
  char buffer[32];
  return std::string(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
}

std::vector<std::pair<const char*, const std::vector<double>*>> detail::history_columns(const History& history) {
  std::vector<std::pair<const char*, const std::vector<double>*>> columns{{"loss", &history.loss},
                                                                           {"accuracy", &history.accuracy}};
  if (!history.val_loss.empty()) {
    columns.emplace_back("val_loss", &history.val_loss);
    columns.emplace_back("val_accuracy", &history.val_accuracy);
  }
  if (!history.learning_rate.empty()) columns.emplace_back("lr", &history.learning_rate);
  columns.emplace_back("seconds", &history.seconds);
  return columns;
}

void detail::write_text(const std::filesystem::path& path, const std::string& text) {
  io::write_file_atomically(path, text);
}

std::string to_csv(const History& history) {
  const auto columns = detail::history_columns(history);
  std::string text = "epoch";
  for (const auto& [name, values] : columns) text.append(",").append(name);
  text += "\n";
  for (std::size_t epoch = 0; epoch < history.epochs(); ++epoch) {
    text += std::to_string(epoch);
    for (const auto& [name, values] : columns) text.append(",").append(detail::shortest(values->at(epoch)));
    text += "\n";
  }
  return text;
}

std::string to_json(const History& history) {
  std::string text = "{";
  bool first_column = true;
  for (const auto& [name, values] : detail::history_columns(history)) {
    text.append(first_column ? "\"" : ", \"").append(name).append("\": [");
    for (std::size_t i = 0; i < values->size(); ++i) text.append(i ? ", " : "").append(detail::shortest((*values)[i]));
    text += "]";
    first_column = false;
  }
  return text + "}\n";
}

void save_csv(const History& history, const std::filesystem::path& path) { detail::write_text(path, to_csv(history)); }

void save_json(const History& history, const std::filesystem::path& path) { detail::write_text(path, to_json(history)); }

}  // namespace ctnn
