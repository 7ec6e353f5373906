// Where every number of a Net lives: row strides (padded to SIMD vectors) and buffer sizes
// per layer, computed once from the type.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>

#include "../dsl/net.hpp"
#include "extent.hpp"
#include "simd.hpp"

namespace ctnn::codegen {

template <NetType N>
struct Layout {
  static constexpr std::size_t depth = N::depth;
  static constexpr auto inputs = N::layer_inputs;
  static constexpr auto outputs = N::layer_outputs;

  // Row stride of layer l's outputs, kernel and bias.
  static constexpr std::array<std::size_t, depth> stride = [] {
    std::array<std::size_t, depth> s{};
    for (std::size_t l = 0; l < depth; ++l) s[l] = simd::padded(outputs[l]);
    return s;
  }();

  // Row stride of what layer l reads: the caller's samples for layer 0, else the padded outputs before it.
  static constexpr std::size_t input_stride(std::size_t l) { return l == 0 ? inputs[0] : stride[l - 1]; }

  // Layer l's shape for the kernels, every extent fixed.
  template <std::size_t l>
  static constexpr auto shape() {
    return DenseShape{fixed<inputs[l]>{}, fixed<outputs[l]>{}, fixed<input_stride(l)>{}};
  }

  static constexpr std::size_t kernel_floats(std::size_t l) { return inputs[l] * stride[l]; }
  static constexpr std::size_t bias_floats(std::size_t l) { return stride[l]; }
  // Gamma, beta, moving mean and moving variance when a BatchNorm follows layer l, else nothing.
  static constexpr std::size_t batch_norm_floats(std::size_t l) {
    return N::batch_norm_after[l] >= 0.0f ? 4 * stride[l] : 0;
  }

  // Two consecutive layers' outputs side by side: the most that ping-pong buffers ever hold at once.
  static constexpr std::size_t pingpong_floats_per_row = [] {
    std::size_t widest = stride[0];
    for (std::size_t l = 0; l + 1 < depth; ++l) widest = std::max(widest, stride[l] + stride[l + 1]);
    return widest;
  }();

  // W^T of layer l >= 1, packed Out x padded(In), for the input-gradient product.
  static constexpr std::size_t transposed_kernel_floats = [] {
    std::size_t largest = 0;
    for (std::size_t l = 1; l < depth; ++l) largest = std::max(largest, outputs[l] * stride[l - 1]);
    return largest;
  }();

  // Ping-pong placement: even layers write from the front of the region, odd layers end at its back,
  // so layer l and layer l + 1 never overlap. Offsets in floats, for a batch of `rows`.
  static constexpr std::size_t pingpong_offset(std::size_t l, std::size_t rows) {
    return l % 2 == 0 ? 0 : rows * (pingpong_floats_per_row - stride[l]);
  }
};

}  // namespace ctnn::codegen
