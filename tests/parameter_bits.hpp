// The bits of every parameter of a model of either backend, for bit-for-bit comparisons.
#pragma once

#include <bit>
#include <cstdint>
#include <ctnn/ctnn.hpp>
#include <vector>

namespace testing {

// Every parameter's bits, layer by layer, as the backends hold them.
template <class M>
std::vector<std::uint32_t> parameter_bits(const M& model) {
  std::vector<std::uint32_t> bits;
  for (std::size_t l = 0; l < model.depth(); ++l) {
    const ctnn::MatrixView<const float> kernel = model.kernel(l);
    for (std::size_t i = 0; i < kernel.rows; ++i)
      for (std::size_t o = 0; o < kernel.cols; ++o) bits.push_back(std::bit_cast<std::uint32_t>(kernel(i, o)));
    for (const float b : model.bias(l)) bits.push_back(std::bit_cast<std::uint32_t>(b));
  }
  return bits;
}

}  // namespace testing
