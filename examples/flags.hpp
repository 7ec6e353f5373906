// Number flags of the example programs: the whole text must be a number of the flag's type.
#pragma once

#include <charconv>
#include <string>
#include <string_view>

#include <ctnn/error.hpp>

namespace examples {

template <class T>
T parse_number(std::string_view flag, std::string_view text) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size())
    throw ctnn::Error(std::string(flag) + " expects a number, not '" + std::string(text) + "'");
  return value;
}

}  // namespace examples
