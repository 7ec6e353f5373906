// The single-sample inference kernels (defined in inference_kernels.inc, which exported headers
// share, so that an exported model predicts bit for bit what Model<Net>::predict does).
#pragma once

#include <algorithm>
#include <cstddef>
#include <type_traits>

#include "simd.hpp"

namespace ctnn::codegen {

using simd::floats;
using simd::fma;
using simd::lane_indices;
using simd::lanes;
using simd::padded;
using simd::vector_registers;

#include "inference_kernels.inc"

}  // namespace ctnn::codegen
