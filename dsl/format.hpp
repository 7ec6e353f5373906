// Shortest round-trippable text for the float template arguments that appear in describe().
#pragma once

#include <charconv>
#include <string>

namespace ctnn::detail {

inline std::string format_float(float value) {
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

}  // namespace ctnn::detail
