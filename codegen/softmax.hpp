// Row-wise softmax over the n real columns of padded rows; the padding comes out as zeros.
#pragma once

#include <cstddef>

#include "extent.hpp"
#include "inference_kernels.hpp"

namespace ctnn::codegen {

template <Extent N, Extent Stride>
void softmax_rows(N n, Stride stride, float* y, std::size_t rows) {
  for (std::size_t r = 0; r < rows; ++r) softmax_row(n, stride, y + r * std::size_t(stride));
}

}  // namespace ctnn::codegen
