// The inference kernels of image layers (defined in image_kernels.inc, which exported headers
// share, so that an exported convolutional network predicts bit for bit what Model<Net>::predict does).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "simd.hpp"

namespace ctnn::codegen {

using simd::floats;
using simd::fma;
using simd::lanes;
using simd::padded;
using simd::vector_registers;

#include "image_kernels.inc"

}  // namespace ctnn::codegen
