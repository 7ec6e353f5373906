// Net<Layers...>: a network written as a type, and the facts the compiler knows about it.
#pragma once

#include <array>
#include <boost/hana/range.hpp>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "architecture.hpp"
#include "layers.hpp"
#include "shape_checks.hpp"
#include "summary.hpp"

namespace ctnn {

namespace detail {
template <class L>
constexpr float dropout_rate_of() {
  if constexpr (L::kind == LayerKind::dropout) return L::rate;
  else return 0.0f;
}
template <class L>
constexpr float batch_norm_momentum_of() {
  if constexpr (L::kind == LayerKind::batch_norm) return L::momentum;
  else return no_batch_norm;
}
template <class L>
constexpr bool is_softmax_layer() {
  if constexpr (L::kind == LayerKind::dense)
    return std::is_same_v<typename L::template resolve<1>::activation, SoftmaxActivation>;
  else return false;
}

template <class N, std::size_t... I>
std::string spec_of(std::index_sequence<I...>) {
  std::string text = std::to_string(N::input_size);
  (text.append("-").append(N::template layer<I>::spec()), ...);  // appends: "-" + string chains trip a false GCC 12 -Wrestrict
  return text;
}
}  // namespace detail

template <class... Layers>
struct Net {
  static_assert(sizeof...(Layers) > 0, "ctnn::Net needs at least one layer");

  // The layers as written, Dropout included (what summary() lists).
  static constexpr std::size_t written_depth = sizeof...(Layers);
  static constexpr std::array<LayerKind, written_depth> written_kinds{Layers::kind...};

 private:
  static constexpr std::array<std::size_t, written_depth> written_outputs{Layers::outputs...};
  static constexpr std::array<float, written_depth> written_dropout_rates{detail::dropout_rate_of<Layers>()...};
  static constexpr std::array<float, written_depth> written_batch_norm_momenta{detail::batch_norm_momentum_of<Layers>()...};

 public:
  // The layers with weights (Dense, Softmax): what the code generator works on. Layer indices below
  // count these.
  static constexpr std::size_t depth = [] {
    std::size_t count = 0;
    for (LayerKind kind : written_kinds) count += kind == LayerKind::dense;
    return count;
  }();
  static_assert(depth > 0, "ctnn::Net needs at least one Dense or Softmax layer");

  // Where layer l is among the layers as written.
  static constexpr std::array<std::size_t, depth> written_position = [] {
    std::array<std::size_t, depth> position{};
    for (std::size_t w = 0, l = 0; w < written_depth; ++w)
      if (written_kinds[w] == LayerKind::dense) position[l++] = w;
    return position;
  }();

 private:
  static constexpr std::array<std::size_t, written_depth> written_declared_inputs{Layers::declared_inputs...};
  static constexpr std::array<std::size_t, depth> declared_inputs = [] {
    std::array<std::size_t, depth> inputs{};
    for (std::size_t l = 0; l < depth; ++l) inputs[l] = written_declared_inputs[written_position[l]];
    return inputs;
  }();
  static constexpr std::array<bool, written_depth> is_softmax{detail::is_softmax_layer<Layers>()...};
  // Whether the written layer w is where it may be: a BatchNorm right after a layer with weights, a
  // Dropout right after one or after its BatchNorm.
  static constexpr bool well_placed(std::size_t w) {
    const auto kind_before = [](std::size_t at, std::size_t back) {
      return at >= back ? written_kinds[at - back] : LayerKind::dropout;  // nothing before: as bad as a Dropout
    };
    switch (written_kinds[w]) {
      case LayerKind::dense: return true;
      case LayerKind::batch_norm: return kind_before(w, 1) == LayerKind::dense;
      case LayerKind::dropout:
        return kind_before(w, 1) == LayerKind::dense ||
               (kind_before(w, 1) == LayerKind::batch_norm && kind_before(w, 2) == LayerKind::dense);
    }
    return false;
  }
  // The momentum, or rate, of the written layer of kind Kind that modifies layer l (see well_placed).
  template <LayerKind Kind>
  static constexpr float modifier_of(std::size_t l, const std::array<float, written_depth>& values, float none) {
    for (std::size_t w = written_position[l] + 1; w < written_depth && written_kinds[w] != LayerKind::dense; ++w)
      if (written_kinds[w] == Kind) return values[w];
    return none;
  }

 public:
  static constexpr std::array<std::size_t, depth> layer_outputs = [] {
    std::array<std::size_t, depth> outputs{};
    for (std::size_t l = 0; l < depth; ++l) outputs[l] = written_outputs[written_position[l]];
    return outputs;
  }();

  // Input size of every layer, Softmax's taken from the layer before it.
  static constexpr std::array<std::size_t, depth> layer_inputs = [] {
    std::array<std::size_t, depth> inputs = declared_inputs;
    for (std::size_t i = 1; i < depth; ++i)
      if (inputs[i] == 0) inputs[i] = layer_outputs[i - 1];
    return inputs;
  }();

  // The dropout rate applied to layer l's outputs in training (0: none).
  static constexpr std::array<float, depth> dropout_after = [] {
    std::array<float, depth> rates{};
    for (std::size_t l = 0; l < depth; ++l) rates[l] = modifier_of<LayerKind::dropout>(l, written_dropout_rates, 0.0f);
    return rates;
  }();
  // The momentum of the BatchNorm after layer l (no_batch_norm: none).
  static constexpr std::array<float, depth> batch_norm_after = [] {
    std::array<float, depth> momenta{};
    for (std::size_t l = 0; l < depth; ++l)
      momenta[l] = modifier_of<LayerKind::batch_norm>(l, written_batch_norm_momenta, no_batch_norm);
    return momenta;
  }();

 private:
  template <std::size_t... W>
  static constexpr bool modifiers_fit(std::index_sequence<W...>) {
    static_assert((modifier_follows_a_dense_layer<W, written_kinds[W] == LayerKind::dense, well_placed(W)> && ...),
                  "ctnn::Net: BatchNorm<> and Dropout<rate> act on the outputs of the Dense layer just before them; "
                  "write them after a Dense layer in the order Dense, BatchNorm, Dropout, at most one of each per "
                  "layer (the note below gives the misplaced one's position, counted from 0)");
    static_assert((softmax_is_the_output_layer<W, is_softmax[W], written_depth> && ...),
                  "ctnn::Net: Softmax<N> can only be the output layer, whose probabilities the loss reads; "
                  "use Dense<In, Out, Act> for hidden layers and nothing after it (the note below gives the "
                  "layer's position, counted from 0)");
    return true;
  }
  template <std::size_t... I>
  static constexpr bool shapes_fit(std::index_sequence<I...>) {
    static_assert(first_layer_declares_its_input_size<declared_inputs[0]>,
                  "ctnn::Net: the first layer must say how many inputs it reads; Softmax<N> takes its "
                  "input size from the layer before it, so put a Dense<Inputs, ...> first");
    static_assert((dense_input_matches_previous_output<written_position[I], layer_inputs[I],
                                                       (I == 0 ? 0 : layer_outputs[I - 1])> && ...),
                  "ctnn::Net shape mismatch: a Dense layer's input size must equal the output size of the "
                  "layer before it (the note below gives the layer's position, counted from 0, and both sizes)");
    return true;
  }
  static_assert(modifiers_fit(std::make_index_sequence<written_depth>{}));
  static_assert(shapes_fit(std::make_index_sequence<depth>{}));

 public:
  template <std::size_t I>
  using layer = typename std::tuple_element_t<written_position[I], std::tuple<Layers...>>::template resolve<
      layer_inputs[I], dropout_after[I], batch_norm_after[I]>;

  static constexpr std::size_t input_size = layer_inputs[0];
  static constexpr std::size_t output_size = layer_outputs[depth - 1];
  // Every parameter, trainable or not (BatchNorm's moving statistics included), as Keras counts them.
  static constexpr std::size_t param_count = [] {
    std::size_t total = 0;
    for (std::size_t i = 0; i < depth; ++i)
      total += layer_inputs[i] * layer_outputs[i] + layer_outputs[i] + (batch_norm_after[i] >= 0.0f ? 4 * layer_outputs[i] : 0);
    return total;
  }();
  static constexpr bool has_batch_norm = [] {
    for (float momentum : batch_norm_after)
      if (momentum >= 0.0f) return true;
    return false;
  }();
  static constexpr bool has_dropout = [] {
    for (float rate : dropout_after)
      if (rate > 0.0f) return true;
    return false;
  }();

  // hana::range of the layer indices, for compile-time loops over the layers.
  static constexpr auto layer_indices = boost::hana::make_range(boost::hana::size_c<0>, boost::hana::size_c<depth>);

  // One row per layer as written, as Keras's model.summary() lists them.
  static constexpr std::array<SummaryRow, written_depth> summary_rows = [] {
    constexpr std::array<std::string_view, written_depth> types{Layers::keras_type...};
    std::array<SummaryRow, written_depth> rows{};
    for (std::size_t w = 0, l = 0; w < written_depth; ++w) {
      if (written_kinds[w] == LayerKind::dense) {
        rows[w] = {types[w], layer_outputs[l], layer_inputs[l] * layer_outputs[l] + layer_outputs[l], 0};
        ++l;
      } else if (written_kinds[w] == LayerKind::batch_norm) {  // gamma and beta; the moving statistics
        rows[w] = {types[w], layer_outputs[l - 1], 2 * layer_outputs[l - 1], 2 * layer_outputs[l - 1]};
      } else {
        rows[w] = {types[w], layer_outputs[l - 1], 0, 0};  // modifiers_fit: a modifier follows a layer with weights
      }
    }
    return rows;
  }();
  // Keras's model.summary() table: layers, output shapes, parameter counts and totals.
  static std::string summary() { return format_summary(summary_rows); }

  // The type as it reads in source, defaults spelt out: "Net<Dense<784, 400, ReLU>, Softmax<10>>".
  static std::string describe() {
    std::string text = "Net<";
    ((text += Layers::describe() + ", "), ...);
    text.resize(text.size() - 2);
    return text + ">";
  }

 private:
  template <std::size_t... I>
  static constexpr std::array<LayerArchitecture, depth> architecture_of(std::index_sequence<I...>) {
    return {LayerArchitecture{layer_outputs[I], layer<I>::activation::spec, layer<I>::has_batch_norm}...};
  }

 public:
  // Sizes, activations and batch normalisation, as checked by model files and exported headers:
  // "784-400:relu-20:relu-10:softmax", "784-600:relu:batchnorm-10:softmax". Dropout is left out: it changes training, not the function a trained model computes.
  static constexpr std::array<LayerArchitecture, depth> layer_architecture =
      architecture_of(std::make_index_sequence<depth>{});
  static std::string architecture() { return architecture_text(input_size, layer_architecture); }
  static constexpr std::uint64_t fingerprint = fingerprint_of(architecture_text(input_size, layer_architecture));

  // The same network as a run-time spec for the generic engine ("784-400:relu-20:relu-10:softmax"):
  // engine::Network{Net::spec()} is this network's generic twin.
  static std::string spec() { return detail::spec_of<Net>(std::make_index_sequence<depth>{}); }
};

template <class T>
inline constexpr bool is_net = false;
template <class... Layers>
inline constexpr bool is_net<Net<Layers...>> = true;

template <class T>
concept NetType = is_net<T>;

}  // namespace ctnn
