// A network described at run time: the generic engine's counterpart of a Net type. An input shape
// and a list of layers of any kind of the protocol; its texts and counts come from the layers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "../dsl/architecture.hpp"
#include "../dsl/run_time_options.hpp"
#include "../error.hpp"
#include "../layers/derived.hpp"
#include "layer_node.hpp"

namespace ctnn::engine {

using ctnn::ActivationKind;
using ctnn::InitializerKind;
using ctnn::InitializerSpec;
using ctnn::RegularizerSpec;
using ctnn::spec_name;
using ctnn::type_name;
using ctnn::with_activation;

struct NetworkSpec {
  Shape input;
  std::vector<Layer> layers;

  std::size_t input_size() const { return input.elements(); }

  // Layer i's output shape; throws Error naming the layer when it cannot read its input.
  Shape output_shape(std::size_t i) const {
    Shape shape = input;
    for (std::size_t j = 0; j <= i; ++j) {
      try {
        shape = layers.at(j)->output_shape(shape);
      } catch (const layers::ShapeError& error) {
        throw Error("layer " + std::to_string(j) + " (" + std::string(layers[j]->keras_type()) + ") reading " +
                    (j == 0 ? "the input, " : "") + shape.text() + ": " + error.what());
      }
    }
    return shape;
  }
  std::size_t output_size() const { return output_shape(layers.size() - 1).elements(); }

  // Every parameter, as Keras counts them, found without building the network (a file may describe
  // one larger than memory); the largest std::size_t when the count does not fit one.
  std::size_t param_count() const {
    constexpr std::size_t too_many = std::numeric_limits<std::size_t>::max();
    std::size_t total = 0;
    Shape shape = input;
    for (std::size_t i = 0; i < layers.size(); ++i) {
      for (const layers::Tensor& t : layers[i]->parameters(shape)) {
        if (t.columns != 0 && t.rows > too_many / t.columns) return too_many;
        if (t.elements() > too_many - total) return too_many;
        total += t.elements();
      }
      shape = output_shape(i);
    }
    return total;
  }

  // The canonical spec text, defaults left out: what Net<...>::spec() gives for the same layers.
  std::string to_string() const {
    return layers::spec_text(
        input, layers.size(), [&](std::size_t i) { return layers[i]->spec(); },
        [&](std::size_t i) { return layers[i]->keras_type(); });
  }
  // What changes the function a trained model computes, as Net<...>::architecture() gives it (see
  // layers/derived.hpp).
  std::string architecture() const {
    return layers::architecture_text(
        input, layers.size(), [&](std::size_t i) { return layers[i]->architecture(); },
        [&](std::size_t i) { return layers[i]->keras_type(); });
  }
  std::uint64_t fingerprint() const { return fingerprint_of(architecture()); }
};

}  // namespace ctnn::engine
