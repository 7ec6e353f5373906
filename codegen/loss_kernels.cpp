#include "loss_kernels.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "simd.hpp"

namespace ctnn::codegen {

namespace {

using doubles = xsimd::batch<double, simd::floats::arch_type>;

double clipped(float probability) {
  constexpr float epsilon = 1e-7f;
  return double(std::clamp(probability, epsilon, 1.0f - epsilon));
}

}  // namespace

void label_cross_entropies(const float* probabilities, std::size_t row_floats, const std::int32_t* labels, std::size_t rows,
                           double* losses) {
  alignas(64) double values[doubles::size];
  for (std::size_t first = 0; first < rows; first += doubles::size) {
    const std::size_t count = std::min(doubles::size, rows - first);
    for (std::size_t i = 0; i < doubles::size; ++i)
      values[i] = i < count ? clipped(probabilities[(first + i) * row_floats + static_cast<std::size_t>(labels[first + i])]) : 1.0;
    (-xsimd::log(doubles::load_aligned(values))).store_aligned(values);
    std::copy_n(values, count, losses + first);
  }
}

double cross_entropy(float probability) { return -xsimd::log(doubles(clipped(probability))).get(0); }

}  // namespace ctnn::codegen
