#include "format.hpp"

namespace ctnn::detail {

std::string format_float(float value) {
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

}  // namespace ctnn::detail
