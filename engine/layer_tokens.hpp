// The layers a spec names by a word ("batchnorm", "dropout=0.5", "relu"): one entry per word, each
// making its layer from the value after '=', if any. ctnn's own kinds are here from the start; a
// layer kind of your own joins with one line:
//   ctnn::engine::register_layer("scale", [](std::string_view) { return plugin::PerFeatureScale{}; });
// after which "784-scale-10:softmax" parses (and model files recording it load).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "layer_node.hpp"

namespace ctnn::engine {

// Makes a layer from the value after '=' in its token (empty when there is none), or throws Error
// saying what is wrong with the value.
using LayerFactory = std::function<Layer(std::string_view value)>;

// The number in a token's value; throws Error naming `what` when it is not one.
float token_number(std::string_view value, const char* what);

// Every word a spec may name a layer by.
std::map<std::string, LayerFactory, std::less<>>& layer_tokens();

// Adds (or replaces) the layer a spec names by `word`: register before parsing, from one thread.
inline void register_layer(std::string word, LayerFactory make) { layer_tokens()[std::move(word)] = std::move(make); }

}  // namespace ctnn::engine
