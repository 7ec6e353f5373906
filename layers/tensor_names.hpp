// Names of layers and their weights as Keras gives them ("dense_1", "dense_1/kernel"): the names
// in .npz archives and version-2 model files, and how a user finds a weight (Model::weight).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../dsl/keras_names.hpp"
#include "../error.hpp"
#include "protocol.hpp"

namespace ctnn::layers {

using ctnn::keras_layer_names;
using ctnn::keras_snake_case;

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
