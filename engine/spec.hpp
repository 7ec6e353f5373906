// A network described at run time: the generic engine's counterpart of a Net type, with the
// same vocabulary (dense layers, activations, L1/L2 regularisers, Keras initialisers, batch
// normalisation, dropout).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../dsl/architecture.hpp"
#include "../dsl/format.hpp"
#include "../dsl/run_time_options.hpp"
#include "../dsl/batch_norm_defaults.hpp"

namespace ctnn::engine {

using ctnn::ActivationKind;
using ctnn::InitializerKind;
using ctnn::InitializerSpec;
using ctnn::RegularizerSpec;
using ctnn::spec_name;
using ctnn::type_name;
using ctnn::with_activation;

struct LayerSpec {
  std::size_t inputs = 0, outputs = 0;
  ActivationKind activation = ActivationKind::relu;
  RegularizerSpec regularizer{};
  InitializerSpec initializer{};
  float activity_l1 = 0.0f;  // ActivityL1 coefficient on the layer's outputs (0: none)
  bool batch_norm = false;   // BatchNormalization of the layer's outputs (epsilon 1e-3)
  float batch_norm_momentum = default_batch_norm_momentum;
  float dropout = 0.0f;      // rate of the Dropout after this layer, in training (0: none)

  // Kernel and bias; with batch normalisation also gamma, beta, moving mean and moving variance.
  std::size_t param_count() const { return inputs * outputs + outputs + (batch_norm ? 4 * outputs : 0); }
  bool operator==(const LayerSpec&) const = default;
};

struct NetworkSpec {
  std::vector<LayerSpec> layers;

  std::size_t input_size() const { return layers.front().inputs; }
  std::size_t output_size() const { return layers.back().outputs; }
  std::size_t param_count() const {
    std::size_t total = 0;
    for (const LayerSpec& layer : layers) total += layer.param_count();
    return total;
  }

  // The canonical spec string, defaults left out: what Net<...>::spec() gives for the same network.
  std::string to_string() const {
    std::string text = std::to_string(input_size());
    for (const LayerSpec& layer : layers) {
      // Appended piece by piece: GCC 12 gives a false -Wrestrict for "-" + std::string chains here.
      text.append("-").append(std::to_string(layer.outputs)).append(":").append(spec_name(layer.activation));
      if (const std::string r = layer.regularizer.spec(); !r.empty()) text.append(":").append(r);
      if (layer.initializer.kind != InitializerKind::glorot_uniform) text.append(":").append(layer.initializer.spec());
      if (layer.activity_l1 > 0.0f) text.append(":activity_l1=").append(ctnn::detail::format_float(layer.activity_l1));
      if (layer.batch_norm) {
        text.append(":batchnorm");
        if (layer.batch_norm_momentum != default_batch_norm_momentum)
          text.append("=").append(ctnn::detail::format_float(layer.batch_norm_momentum));
      }
      if (layer.dropout > 0.0f) text.append(":dropout=").append(ctnn::detail::format_float(layer.dropout));
    }
    return text;
  }
  // Sizes, activations and batch normalisation only, as Net<...>::architecture() gives them (see
  // dsl/architecture.hpp).
  std::string architecture() const {
    std::vector<LayerArchitecture> layer_architecture;
    for (const LayerSpec& layer : layers)
      layer_architecture.push_back({layer.outputs, spec_name(layer.activation), layer.batch_norm});
    return architecture_text(input_size(), layer_architecture);
  }
  std::uint64_t fingerprint() const { return fingerprint_of(architecture()); }

  bool operator==(const NetworkSpec&) const = default;
};

}  // namespace ctnn::engine
