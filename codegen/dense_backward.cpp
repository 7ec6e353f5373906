#include "dense_backward.hpp"

#include <algorithm>
#include <cstddef>

#include "gemm.hpp"
#include "thread_pool.hpp"

namespace ctnn::codegen {

void transpose_kernel(std::size_t inputs, std::size_t outputs, std::size_t stride, std::size_t packed_stride,
                      const float* kernel, float* packed, std::size_t threads) {
  constexpr std::size_t columns = 16;
  parallel_ranges(threads, outputs, columns, rows_worth_a_thread(inputs), [&](std::size_t first, std::size_t end) {
    for (std::size_t o0 = first; o0 < end; o0 += columns) {
      const std::size_t width = std::min(columns, end - o0);
      float* const rows = packed + o0 * packed_stride;
      if (width == columns) {
        for (std::size_t i = 0; i < inputs; ++i) {
          const float* from = kernel + i * stride + o0;
          CTNN_UNROLL for (std::size_t o = 0; o < columns; ++o) rows[o * packed_stride + i] = from[o];
        }
      } else {
        for (std::size_t i = 0; i < inputs; ++i)
          for (std::size_t o = 0; o < width; ++o) rows[o * packed_stride + i] = kernel[i * stride + o0 + o];
      }
      for (std::size_t o = 0; o < width; ++o) std::fill(rows + o * packed_stride + inputs, rows + (o + 1) * packed_stride, 0.0f);
    }
  });
}

}  // namespace ctnn::codegen
