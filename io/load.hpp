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
inline engine::Network load_network(const std::filesystem::path& path) {
  const ModelFile file = read_model_file(path);
  engine::NetworkSpec spec;
  try {
    spec = engine::parse_spec(file.architecture);
  } catch (const Error& error) {
    throw Error(path.string() + ": corrupted: the architecture \"" + file.architecture + "\" is not a valid spec: " + error.what());
  }
  // Compared before the network is built: a short file must not make ctnn allocate the large
  // network its architecture text may describe.
  if (spec.param_count() != file.parameters.size())
    throw Error(path.string() + ": corrupted: " + std::to_string(file.parameters.size()) + " parameters where " +
                file.architecture + " has " + std::to_string(spec.param_count()));
  engine::Network network(std::move(spec));
  assign_parameters(network, file, path);
  return network;
}

}  // namespace ctnn::io
