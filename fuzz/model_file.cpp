// Model files: the reader's checks, then a generic-engine network built from the architecture the
// file records and its parameters loaded into it; as given, and with the checksum made right, so that
// mutations of the architecture text reach the network builder.
#include <ctnn/io/load.hpp>

#include "fuzz_target.hpp"

namespace {
void load(std::string_view bytes) {
  const std::filesystem::path path = fuzz::file_with(bytes, "model.ctnn");
  ctnn::io::read_model_file(path);
  ctnn::io::load_network(path);
}
}  // namespace

void fuzz_one(std::string_view bytes) {
  try {
    load(bytes);
  } catch (const ctnn::Error&) {
  }
  load(fuzz::with_checksum(bytes));
}
