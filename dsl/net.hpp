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

namespace ctnn {

namespace detail {
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
  static constexpr std::size_t depth = sizeof...(Layers);

 private:
  static constexpr std::array<std::size_t, depth> declared_inputs{Layers::declared_inputs...};
  static constexpr std::array<bool, depth> is_softmax{std::is_same_v<typename Layers::template resolve<1>::activation,
                                                                     detail::SoftmaxActivation>...};

 public:
  static constexpr std::array<std::size_t, depth> layer_outputs{Layers::outputs...};

  // Input size of every layer, Softmax's taken from the layer before it.
  static constexpr std::array<std::size_t, depth> layer_inputs = [] {
    std::array<std::size_t, depth> inputs = declared_inputs;
    for (std::size_t i = 1; i < depth; ++i)
      if (inputs[i] == 0) inputs[i] = layer_outputs[i - 1];
    return inputs;
  }();

 private:
  template <std::size_t... I>
  static constexpr bool shapes_fit(std::index_sequence<I...>) {
    static_assert(first_layer_declares_its_input_size<declared_inputs[0]>,
                  "ctnn::Net: the first layer must say how many inputs it reads; Softmax<N> takes its "
                  "input size from the layer before it, so put a Dense<Inputs, ...> first");
    static_assert((dense_input_matches_previous_output<I, layer_inputs[I], (I == 0 ? 0 : layer_outputs[I - 1])> && ...),
                  "ctnn::Net shape mismatch: a Dense layer's input size must equal the output size of the "
                  "layer before it (the note below gives the layer index, counted from 0, and both sizes)");
    static_assert((softmax_is_the_output_layer<I, is_softmax[I], depth> && ...),
                  "ctnn::Net: Softmax<N> can only be the output layer, where it is fused with the cross-entropy "
                  "loss; use Dense<In, Out, Act> for hidden layers (the note below gives the layer index)");
    return true;
  }
  static_assert(shapes_fit(std::make_index_sequence<depth>{}));

 public:
  template <std::size_t I>
  using layer = typename std::tuple_element_t<I, std::tuple<Layers...>>::template resolve<layer_inputs[I]>;

  static constexpr std::size_t input_size = layer_inputs[0];
  static constexpr std::size_t output_size = layer_outputs[depth - 1];
  static constexpr std::size_t param_count = [] {
    std::size_t total = 0;
    for (std::size_t i = 0; i < depth; ++i) total += layer_inputs[i] * layer_outputs[i] + layer_outputs[i];
    return total;
  }();

  // hana::range of the layer indices, for compile-time loops over the layers.
  static constexpr auto layer_indices = boost::hana::make_range(boost::hana::size_c<0>, boost::hana::size_c<depth>);

  // The type as it reads in source, defaults spelt out: "Net<Dense<784, 400, ReLU>, Softmax<10>>".
  static std::string describe() {
    std::string text = "Net<";
    ((text += Layers::describe() + ", "), ...);
    text.resize(text.size() - 2);
    return text + ">";
  }

  // Sizes and activations, as checked by model files and exported headers: "784-400:relu-20:relu-10:softmax".
  static constexpr std::array<LayerArchitecture, depth> layer_architecture{
      LayerArchitecture{Layers::outputs, Layers::template resolve<1>::activation::spec}...};
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
