// Rows that one batched prediction processes at a time, on either backend: enough to keep the
// products' tiles busy, few enough that a chunk's layer outputs stay in cache.
#pragma once

#include <cstddef>

namespace ctnn {

inline constexpr std::size_t prediction_rows = 128;

}  // namespace ctnn
