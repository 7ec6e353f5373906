// What both drivers derive from their layers' lists, written once: the architecture text, the
// summary rows, the gradient buffers and the random streams.
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

// Whether layer i passes a gradient to its input in training: only when a layer below it has
// parameters. tensors_of(j): layer j's tensors.
template <class TensorsOf>
constexpr bool passes_gradient(std::size_t i, TensorsOf&& tensors_of) {
  for (std::size_t j = 0; j < i; ++j)
    if (!tensors_of(j).empty()) return true;
  return false;
}

// Whose buffer holds layer i's outputs in training: the nearest layer j <= i that does not pass its
// input through (identity_in_training), or the gathered input batch (training_input_batch) when
// there is none. traits_of(j): layer j's traits.
inline constexpr std::size_t training_input_batch = static_cast<std::size_t>(-1);
template <class TraitsOf>
constexpr std::size_t training_output_owner(std::size_t i, TraitsOf&& traits_of) {
  for (std::size_t j = i + 1; j-- > 0;)
    if (!traits_of(j).identity_in_training) return j;
  return training_input_batch;
}

// Floats between one sample and the next in a gathered input batch: the first layer reads
// unpadded rows if it can (a product), else padded ones.
constexpr std::size_t batch_input_stride(const Shape& input, const LayerTraits& first) {
  return first.reads_unpadded_input ? input.elements() : simd::padded(input.elements());
}

// The spec text of a network: the tokens joined with "-", except that a network whose every
// BatchNorm follows a Dense layer, and every Dropout a Dense layer or its BatchNorm, is written as
// specs write it, each joining its Dense layer with ":" ("784-400:relu:batchnorm:dropout=0.5-10:softmax").
// token_of(i) and keras_type_of(i): layer i's spec token and Keras type.
template <class TokenOf, class KerasTypeOf>
std::string spec_text(const Shape& input, std::size_t count, TokenOf&& token_of, KerasTypeOf&& keras_type_of) {
  const auto type = [&](std::size_t i, std::size_t back) -> std::string_view {
    return i >= back ? std::string_view(keras_type_of(i - back)) : std::string_view();
  };
  bool modifiers_follow_dense = true;
  for (std::size_t i = 0; i < count; ++i) {
    if (type(i, 0) == "BatchNormalization") modifiers_follow_dense = modifiers_follow_dense && type(i, 1) == "Dense";
    else if (type(i, 0) == "Dropout")
      modifiers_follow_dense = modifiers_follow_dense && (type(i, 1) == "Dense" || (type(i, 1) == "BatchNormalization" && type(i, 2) == "Dense"));
    else if (type(i, 0) != "Dense") modifiers_follow_dense = false;
  }
  std::string text = input.text();
  for (std::size_t i = 0; i < count; ++i)
    text.append(modifiers_follow_dense && type(i, 0) != "Dense" ? ":" : "-").append(token_of(i));
  return text;
}

// A layer's row in Keras's model.summary().
constexpr SummaryRow summary_row(std::string_view keras_type, const Shape& output, const Tensors& tensors) {
  SummaryRow row{keras_type, output.extents, output.rank, 0, 0};
  for (const Tensor& t : tensors) (t.trainable ? row.trainable : row.non_trainable) += t.elements();
  return row;
}

// Training keeps the gradients of the layers' outputs in two buffers: layer i's in slots[i], the
// one its output's is not in, except through layers whose backward is element-wise or in place,
// which leave their input's gradient where their output's is. traits_of(i): layer i's LayerTraits.
template <class Slots, class TraitsOf>
constexpr void assign_gradient_slots(std::size_t count, TraitsOf&& traits_of, Slots& slots) {
  slots[count - 1] = 0;
  for (std::size_t i = count - 1; i > 0; --i) {
    const LayerTraits& t = traits_of(i);
    slots[i - 1] = t.elementwise_backward || t.in_place_backward ? slots[i] : 1 - slots[i];
  }
}

// Random streams: the k-th layer for which takes(i) holds gets stream k, the others stream 0.
// Initialisation numbers the seeded layers this way, training the layers that draw random numbers.
template <class Streams, class Takes>
constexpr void assign_random_streams(std::size_t count, Takes&& takes, Streams& streams) {
  for (std::size_t i = 0, next = 0; i < count; ++i) streams[i] = takes(i) ? next++ : 0;
}

}  // namespace ctnn::layers
