// Loading model files into either backend: load<Net>(path) gives a Model<Net>, load_network(path)
// an engine::Network built from the architecture the file records.
#pragma once

#include <filesystem>

#include "../engine/network.hpp"
#include "../net/model.hpp"
#include "../engine/parse_spec.hpp"
#include "model_file.hpp"

namespace ctnn::io {

// The model in `path`, which must have been saved from a network of N's architecture.
template <NetType N>
Model<N> load(const std::filesystem::path& path) {
  Model<N> model;
  load_into(model, path);
  return model;
}

// Any model file, as a generic-engine network of the architecture it records.
engine::Network load_network(const std::filesystem::path& path);

}  // namespace ctnn::io
