// Network specs, as a one-line string and as a spec file (comments, several lines). A spec that
// parses is printed, counted and, when small enough to build quickly, built and run once.
#include <ctnn/engine/network.hpp>
#include <ctnn/engine/parse_spec.hpp>

#include <vector>

#include "fuzz_target.hpp"

namespace {
void use(const ctnn::engine::NetworkSpec& spec) {
  spec.to_string();
  spec.architecture();
  if (spec.param_count() > (std::size_t{1} << 16) || spec.input_size() > (std::size_t{1} << 16)) return;
  ctnn::engine::Network network{spec, ctnn::Seed{1}};
  std::vector<float> input(network.input_size(), 0.5f), output(network.output_size());
  network.predict(input.data(), output.data());
}
}  // namespace

void fuzz_one(std::string_view bytes) {
  try {
    use(ctnn::engine::parse_spec(bytes));
  } catch (const ctnn::Error&) {
  }
  use(ctnn::engine::load_spec(fuzz::file_with(bytes, "network.spec")));
}
