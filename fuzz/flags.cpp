// The training examples' command-line flags: the input is the arguments, separated by NUL bytes.
#include <vector>

#include "../examples/flags.hpp"
#include "fuzz_target.hpp"

void fuzz_one(std::string_view bytes) {
  std::vector<std::string> arguments{"train"};
  for (std::size_t at = 0; at <= bytes.size();) {
    const std::size_t end = std::min(bytes.find('\0', at), bytes.size());
    arguments.emplace_back(bytes.substr(at, end - at));
    at = end + 1;
  }
  std::vector<char*> argv;
  for (std::string& argument : arguments)
    if (argument != "--help" && argument != "-h") argv.push_back(argument.data());  // they print and exit
  examples::TrainingFlags flags;
  examples::for_each_argument(int(argv.size()), argv.data(), "", [&](std::string_view flag, auto&& value) {
    return flags.take(flag, value);
  });
  if (flags.report.empty()) flags.callbacks();  // --report creates its folder
  flags.make_optimizer();
  flags.usage();
}
