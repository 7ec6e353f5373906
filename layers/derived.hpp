// What both drivers derive from their layers' lists, written once: the architecture text and the
// summary rows.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "../dsl/summary.hpp"
#include "protocol.hpp"
#include "shape.hpp"

namespace ctnn::layers {

// What model files and exported headers check (dsl/architecture.hpp). Layers are joined with "-";
// a BatchNorm right after a Dense layer joins it with ":" ("784-600:relu:batchnorm-10:softmax"),
// the form model files have always had; a layer with an empty token (Dropout) is left out.
// token_of(i) and keras_type_of(i): layer i's architecture token and Keras type.
template <class TokenOf, class KerasTypeOf>
constexpr std::string architecture_text(const Shape& input, std::size_t count, TokenOf&& token_of, KerasTypeOf&& keras_type_of) {
  std::string text = input.text();
  for (std::size_t i = 0; i < count; ++i) {
    const std::string token = token_of(i);
    if (token.empty()) continue;
    const bool joins = i > 0 && std::string_view(keras_type_of(i)) == "BatchNormalization" &&
                       std::string_view(keras_type_of(i - 1)) == "Dense";
    text.append(joins ? ":" : "-").append(token);
  }
  return text;
}

// Floats of one layer's parameter block: its tensors one after the other, rounded up so that the
// next layer's block starts on a 64-byte boundary.
constexpr std::size_t block_floats(const Tensors& tensors) {
  constexpr std::size_t alignment_floats = 64 / sizeof(float);
  std::size_t floats = 0;
  for (const Tensor& t : tensors) floats += t.stored_floats();
  return (floats + alignment_floats - 1) / alignment_floats * alignment_floats;
}

// A layer's row in Keras's model.summary().
constexpr SummaryRow summary_row(std::string_view keras_type, const Shape& output, const Tensors& tensors) {
  SummaryRow row{keras_type, output.elements(), 0, 0};
  for (const Tensor& t : tensors) (t.trainable ? row.trainable : row.non_trainable) += t.elements();
  return row;
}

}  // namespace ctnn::layers
