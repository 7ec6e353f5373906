// A network's architecture as canonical text and a fingerprint computed from it at compile time:
// what model files and exported headers are checked against. The definitions are in
// architecture.inc, shared word for word with exported headers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ctnn {
#include "architecture.inc"
}  // namespace ctnn
