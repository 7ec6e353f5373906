// What a layer kind needs to write its part of an exported header (io/export_header.hpp writes the
// rest): the layout the header gives parameters and outputs, and C++ text for numbers and
// activations. A kind's exported_inference(input shape, ExportedIo) returns the statements that
// compute one sample's output; they run in the header's namespace NAME::detail, where the kernels
// of codegen/simd.inc, codegen/inference_kernels.inc and codegen/image_kernels.inc are.
#pragma once

#include <cstddef>
#include <cstdio>
#include <iterator>
#include <string>

#include "../codegen/image_kernels.hpp"
#include "../dsl/run_time_options.hpp"

namespace ctnn::layers {

// Exported headers pad every parameter row and every layer's output row to 16 floats: whole
// vectors for every target up to AVX-512, so that one header serves them all.
inline constexpr std::size_t exported_row_floats = 16;
constexpr std::size_t exported_padded(std::size_t n) {
  return (n + exported_row_floats - 1) / exported_row_floats * exported_row_floats;
}

// The names the statements use (C++ expressions): one sample's input (const float*, the layer's
// input shape, packed) and output (float*, an output row of exported_padded(elements) floats; the
// same pointer as the input for a kind whose traits say in_place_inference, unless the input is
// the caller's), and the layer's parameters: its tensors in order, each rows x
// exported_padded(columns) floats, zeros in the padding.
struct ExportedIo {
  std::string input, output, parameters;
};

// A float as a hexadecimal literal: every bit survives.
inline std::string exported_float(float value) {
  char text[32];
  std::snprintf(text, sizeof text, "%af", double(value));
  return text;
}

inline std::string exported_size(std::size_t n) { return std::to_string(n); }

// The activation as a function object of the header's kernels (softmax: the identity, its
// normalisation is a pass of its own).
inline std::string exported_activation(ActivationKind kind) {
  const char* function = "linear_forward";
  switch (kind) {
    case ActivationKind::relu: function = "relu_forward"; break;
    case ActivationKind::sigmoid: function = "sigmoid_forward"; break;
    case ActivationKind::tanh: function = "tanh_forward"; break;
    case ActivationKind::linear:
    case ActivationKind::softmax: break;
  }
  return std::string("[](floats z) { return ").append(function).append("(z); }");
}

// A pooling layer's statements (MaxPool2D, AveragePool2D, GlobalAveragePool2D).
template <bool Max>
std::string exported_pooling(const codegen::PoolGeometry& g, const ExportedIo& io) {
  std::string code = "constexpr PoolGeometry geometry{";
  const std::size_t fields[] = {g.in_height, g.in_width, g.channels, g.pool_height, g.pool_width, g.stride, g.out_height, g.out_width};
  for (std::size_t f = 0; f < std::size(fields); ++f) code.append(f ? ", " : "").append(exported_size(fields[f]));
  return code + "};\npool_image<" + (Max ? "true" : "false") + ">(geometry, " + io.input + ", " + io.output + ");\n";
}

}  // namespace ctnn::layers
