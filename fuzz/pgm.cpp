// PGM images, as the embedding example (classify_embedded) reads them: its own errors, not ctnn's.
#include <cstdint>
#include <vector>

#include "../examples/pgm.hpp"
#include "fuzz_target.hpp"

void fuzz_one(std::string_view bytes) {
  const std::vector<std::uint8_t> image(bytes.begin(), bytes.end());
  try {
    if (examples::is_pgm(image)) examples::parse_pgm("input.pgm", image, 784);
  } catch (const examples::PgmError&) {
  }
}
