// The one exception type of ctnn: a message that says what is wrong and, where it helps, what to do.
#pragma once

#include <stdexcept>
#include <string>

namespace ctnn {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace ctnn
