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

std::string shortest(double value);

// The columns present in `history`, by name; validation columns only when validation ran.
std::vector<std::pair<const char*, const std::vector<double>*>> history_columns(const History& history);

void write_text(const std::filesystem::path& path, const std::string& text);

}  // namespace detail

std::string to_csv(const History& history);

std::string to_json(const History& history);

void save_csv(const History& history, const std::filesystem::path& path);
void save_json(const History& history, const std::filesystem::path& path);

}  // namespace ctnn
