// The bits of every parameter of a model of either backend, for bit-for-bit comparisons.
#pragma once

#include <bit>
#include <cstdint>
#include <ctnn/ctnn.hpp>
#include <vector>

namespace testing {

// Every parameter's bits in model-file order (kernels, biases, batch-norm parameters).
template <class M>
std::vector<std::uint32_t> parameter_bits(const M& model) {
  std::vector<std::uint32_t> bits;
  for (const float value : ctnn::io::snapshot(model).parameters) bits.push_back(std::bit_cast<std::uint32_t>(value));
  return bits;
}

}  // namespace testing
