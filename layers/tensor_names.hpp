// Names of layers and their weights as Keras gives them ("dense_1", "dense_1/kernel"): the names
// in .npz archives and version-2 model files, and how a user finds a weight (Model::weight).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../error.hpp"
#include "protocol.hpp"

namespace ctnn::layers {

// Keras's name for a layer of class `type`, as Keras derives it (lower case, words joined with "_"):
// "Dense" -> "dense", "BatchNormalization" -> "batch_normalization", "ReLU" -> "re_lu",
// "MaxPooling2D" -> "max_pooling2d".
constexpr std::string keras_snake_case(std::string_view type) {
  const auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  const auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  // First a "_" before each capitalised word (an upper-case letter and lower-case ones) that has a
  // character before it, the words taken left to right; then between a lower-case and an upper-case letter.
  std::string words;
  for (std::size_t i = 0; i < type.size();) {
    if (i + 2 < type.size() && upper(type[i + 1]) && lower(type[i + 2])) {
      std::size_t end = i + 3;
      while (end < type.size() && lower(type[end])) ++end;
      words.append(1, type[i]).append("_").append(type.substr(i + 1, end - i - 1));
      i = end;
    } else {
      words += type[i++];
    }
  }
  std::string name;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0 && lower(words[i - 1]) && upper(words[i])) name += '_';
    name += upper(words[i]) ? char(words[i] - 'A' + 'a') : words[i];
  }
  return name;
}

// Keras's names of a network's layers: each class numbers its own layers from 0, the first one
// unnumbered ("dense", "batch_normalization", "dense_1", ...). keras_type_of(i): layer i's class.
template <class KerasTypeOf>
std::vector<std::string> keras_layer_names(std::size_t count, KerasTypeOf&& keras_type_of) {
  std::vector<std::string> names, seen;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string base = keras_snake_case(keras_type_of(i));
    std::size_t same = 0;
    for (const std::string& earlier : seen) same += earlier == base;
    seen.push_back(base);
    names.push_back(same == 0 ? base : base + "_" + std::to_string(same));
  }
  return names;
}

// Where a weight is: tensor `tensor` of layer `layer`.
struct TensorIndex {
  std::size_t layer = 0, tensor = 0;
};

// Every weight of `model` (layer_count(), keras_type(i), tensors(i)) with its Keras name, in
// layer order: "dense/kernel", "dense/bias", "batch_normalization/gamma", ...
template <class Model>
std::vector<std::pair<std::string, TensorIndex>> named_tensors(const Model& model) {
  const std::vector<std::string> layer_names =
      keras_layer_names(model.layer_count(), [&](std::size_t i) { return model.keras_type(i); });
  std::vector<std::pair<std::string, TensorIndex>> named;
  for (std::size_t i = 0; i < model.layer_count(); ++i)
    for (std::size_t k = 0; k < model.tensors(i).size(); ++k)
      named.push_back({layer_names[i] + "/" + std::string(model.tensors(i)[k].name), {i, k}});
  return named;
}

// The weight named `name` ("dense_1/kernel"); an Error listing the model's weights if it has none.
template <class Model>
TensorIndex find_tensor(const Model& model, std::string_view name) {
  const auto named = named_tensors(model);
  std::string known;
  for (const auto& [weight, index] : named) {
    if (weight == name) return index;
    known.append(known.empty() ? "" : ", ").append(weight);
  }
  throw Error("ctnn: the model has no weight named \"" + std::string(name) + "\" (its weights: " +
              (known.empty() ? "none" : known) + ")");
}

}  // namespace ctnn::layers
