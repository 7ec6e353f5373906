// The layers a spec names by a word ("batchnorm", "dropout=0.5", "relu"): one entry per word, each
// making its layer from the value after '=', if any. ctnn's own kinds are here from the start; a
// layer kind of your own joins with one line:
//   ctnn::engine::register_layer("scale", [](std::string_view) { return plugin::PerFeatureScale{}; });
// after which "784-scale-10:softmax" parses (and model files recording it load).
#pragma once

#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "../error.hpp"
#include "../layers/activation.hpp"
#include "../layers/batch_norm.hpp"
#include "../layers/dropout.hpp"
#include "../layers/flatten.hpp"
#include "layer_node.hpp"

namespace ctnn::engine {

// Makes a layer from the value after '=' in its token (empty when there is none), or throws Error
// saying what is wrong with the value.
using LayerFactory = std::function<Layer(std::string_view value)>;

// The number in a token's value; throws Error naming `what` when it is not one.
inline float token_number(std::string_view value, const char* what) {
  float number = 0.0f;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (value.empty() || error != std::errc{} || end != value.data() + value.size() || !std::isfinite(number))
    throw Error("'" + std::string(value) + "' is not a number (" + what + ")");
  return number;
}

namespace detail {

inline std::map<std::string, LayerFactory, std::less<>> builtin_layer_tokens() {
  std::map<std::string, LayerFactory, std::less<>> tokens;
  tokens["batchnorm"] = [](std::string_view value) -> Layer {
    layers::BatchNorm layer;
    if (!value.empty()) layer.momentum = token_number(value, "a batch-norm momentum");
    if (!(layer.momentum >= 0.0f && layer.momentum <= 1.0f))
      throw Error("the momentum of batch normalisation's moving statistics is in [0, 1]; Keras's default is 0.99");
    return layer;
  };
  tokens["dropout"] = [](std::string_view value) -> Layer {
    if (value.empty()) throw Error("'dropout' needs a rate: write dropout=rate, e.g. dropout=0.2");
    const layers::Dropout layer{token_number(value, "a dropout rate")};
    if (!(layer.rate >= 0.0f && layer.rate < 1.0f)) throw Error("a dropout rate is the fraction of values dropped, in [0, 1)");
    return layer;
  };
  tokens["flatten"] = [](std::string_view value) -> Layer {
    if (!value.empty()) throw Error("'flatten' takes no value");
    return layers::Flatten{};
  };
  for (ActivationKind kind : {ActivationKind::relu, ActivationKind::linear, ActivationKind::sigmoid, ActivationKind::tanh})
    tokens[std::string(spec_name(kind))] = [kind, name = spec_name(kind)](std::string_view value) -> Layer {
      if (!value.empty()) throw Error("'" + std::string(name) + "' takes no value");
      return layers::Activation{kind};
    };
  return tokens;
}

}  // namespace detail

// Every word a spec may name a layer by.
inline std::map<std::string, LayerFactory, std::less<>>& layer_tokens() {
  static std::map<std::string, LayerFactory, std::less<>> tokens = detail::builtin_layer_tokens();
  return tokens;
}

// Adds (or replaces) the layer a spec names by `word`: register before parsing, from one thread.
inline void register_layer(std::string word, LayerFactory make) { layer_tokens()[std::move(word)] = std::move(make); }

}  // namespace ctnn::engine
