// Gathering a mini-batch: the samples named by a shuffled index list, copied into one contiguous
// block. Rows come from all over a large data set, so each row's start misses the caches; the
// copy prefetches a few rows ahead and is split over the threads.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "extent.hpp"
#include "thread_pool.hpp"

namespace ctnn::codegen {

// Rows of `out` are out_stride floats apart (0: features); their padding is left as it is. With
// `features` fixed at compile time (the generated code), each row's copy is a few vector moves;
// with a run-time size it is a call to memcpy, which for the short rows of a small network cost
// more than the copy (a tenth of the 24-8-2 network's epoch).
template <Extent Features>
void gather_rows(const float* images, Features features, std::span<const std::uint32_t> indices, float* out,
                 std::size_t threads, std::size_t out_stride = 0) {
  const std::size_t feature_count = features;
  if (out_stride == 0) out_stride = feature_count;
  constexpr std::size_t ahead = 4, line_floats = 16, bytes_worth_a_thread = 64 * 1024;
  const std::size_t row_bytes = feature_count * sizeof(float);
  const std::size_t rows_worth_a_thread = std::max<std::size_t>(1, bytes_worth_a_thread / std::max<std::size_t>(1, row_bytes));
  parallel_ranges(threads, indices.size(), 1, rows_worth_a_thread, [&](std::size_t first, std::size_t end) {
    for (std::size_t r = first; r < end; ++r) {
      if (r + ahead < end) {
        const float* next = images + std::size_t(indices[r + ahead]) * feature_count;
        for (std::size_t f = 0; f < feature_count; f += 4 * line_floats) __builtin_prefetch(next + f);
      }
      std::memcpy(out + r * out_stride, images + std::size_t(indices[r]) * feature_count, std::size_t(features) * sizeof(float));
    }
  });
}

}  // namespace ctnn::codegen
