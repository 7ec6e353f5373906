#include "load.hpp"

#include <utility>

namespace ctnn::io {

engine::Network load_network(const std::filesystem::path& path) {
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
