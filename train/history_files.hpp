// A History as files for other tools: CSV with one row per epoch (the columns of Keras's
// CSVLogger, epochs counted from 0, plus seconds) and JSON shaped like Keras's history.history.
// Numbers are written in their shortest round-trip form; both files are written atomically.
#pragma once

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "../io/atomic_file.hpp"
#include "history.hpp"

namespace ctnn {

namespace detail {

inline std::string shortest(double value) {
  char buffer[32];
  return std::string(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
}

// The columns present in `history`, by name; validation columns only when validation ran.
inline std::vector<std::pair<const char*, const std::vector<double>*>> history_columns(const History& history) {
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

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  io::write_atomically(path, [&](std::FILE* file) { return std::fwrite(text.data(), 1, text.size(), file) == text.size(); });
}

}  // namespace detail

inline std::string to_csv(const History& history) {
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

inline std::string to_json(const History& history) {
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

inline void save_csv(const History& history, const std::filesystem::path& path) { detail::write_text(path, to_csv(history)); }
inline void save_json(const History& history, const std::filesystem::path& path) { detail::write_text(path, to_json(history)); }

}  // namespace ctnn
