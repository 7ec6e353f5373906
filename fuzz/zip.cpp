// ZIP archives: stored and deflated entries, Zip64 extra fields.
#include <ctnn/io/zip.hpp>

#include "fuzz_target.hpp"

void fuzz_one(std::string_view bytes) { ctnn::io::read_zip(bytes, "input.zip"); }
