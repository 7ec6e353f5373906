// Net<Layers...>: a network written as a type, and everything the compiler knows about it. Each
// layer type (net/layer_types.hpp) names a layer kind of the protocol (layers/) as a constant;
// the Net asks the kinds, in constant evaluation, for their shapes, tensors, scratch, traits and
// backward steps, and derives the rest from those lists as the engine does at run time.
#pragma once

#include <array>
#include <boost/hana/range.hpp>
#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "../dsl/architecture.hpp"
#include "../dsl/summary.hpp"
#include "../layers/derived.hpp"
#include "../layers/product_table.hpp"
#include "../layers/protocol.hpp"
#include "layer_types.hpp"
#include "shape_checks.hpp"

namespace ctnn {

namespace detail {

// f(layer, i) for every layer kind of the tuple, as an array.
template <class Tuple, class F>
constexpr auto per_layer(const Tuple& kinds, F&& f) {
  return std::apply(
      [&](const auto&... kind) {
        std::size_t i = 0;
        return std::array{f(kind, i++)...};
      },
      kinds);
}

template <class Tuple>
constexpr std::size_t first_dense_layer(const Tuple& kinds) {
  std::size_t first = std::tuple_size_v<Tuple>, i = 0;
  std::apply([&](const auto&... kind) {
    ((first = std::is_same_v<std::remove_cvref_t<decltype(kind)>, layers::Dense> && first > i ? i : first, ++i), ...);
  }, kinds);
  return first;
}

// A Net without Input<...>: the first Dense layer's In is the input size.
struct InputOfFirstDense {};

// Everything a Net<...> is: InputSpec is an Input<...> or InputOfFirstDense, Layers the layers.
template <class InputSpec, class... Layers>
struct NetOf {
  static_assert(sizeof...(Layers) > 0, "ctnn::Net needs at least one layer");

  // --- The layers as written, as layer kinds of the protocol.
  static constexpr std::size_t layer_count = sizeof...(Layers);
  static constexpr std::tuple<std::remove_cv_t<decltype(Layers::layer)>...> kinds{Layers::layer...};
  template <std::size_t I>
  using layer_type = std::tuple_element_t<I, std::tuple<Layers...>>;
  // Layer i's options when it is of kind Kind (nullptr otherwise), as engine::LayerNode::as gives them.
  template <class Kind>
  static constexpr const Kind* layer_as(std::size_t i) {
    const Kind* found = nullptr;
    std::size_t at = 0;
    const auto visit = [&](const auto& kind) {
      if constexpr (std::is_same_v<std::remove_cvref_t<decltype(kind)>, Kind>)
        if (at == i) found = &kind;
      ++at;
    };
    std::apply([&](const auto&... each) { (visit(each), ...); }, kinds);
    return found;
  }
  // hana::range of the layer indices, for compile-time loops over the layers.
  static constexpr auto layer_indices = boost::hana::make_range(boost::hana::size_c<0>, boost::hana::size_c<layer_count>);

 private:
  static constexpr std::array<std::size_t, layer_count> declared_inputs{Layers::declared_inputs...};
  static constexpr bool has_input = is_input<InputSpec>;
  static constexpr std::size_t first_dense = detail::first_dense_layer(kinds);
  static_assert(has_input || first_dense < layer_count,
                "ctnn::Net needs an Input<...> first, or a Dense layer whose In gives the input size");
  static_assert(has_input || first_layer_declares_its_input_size<declared_inputs[first_dense]>,
                "ctnn::Net: the input's shape is not given; put Input<784> (or Input<28, 28, 1>) first, or let "
                "the first Dense layer say how many inputs it reads (Dense<784, ...>, not Softmax<N> or "
                "Dense<inferred, ...>)");
  static constexpr Shape declared_input_shape() {
    if constexpr (has_input) return InputSpec::shape;
    else return Shape(declared_inputs[first_dense]);
  }

 public:
  // --- Shapes: each layer's from the one before it.
  static constexpr Shape input_shape = declared_input_shape();
  static constexpr std::array<Shape, layer_count> output_shapes = [] {
    Shape shape = input_shape;
    return detail::per_layer(kinds, [&](const auto& kind, std::size_t) { return shape = kind.output_shape(shape); });
  }();
  static constexpr Shape input_shape_of(std::size_t i) { return i == 0 ? input_shape : output_shapes[i - 1]; }

  static constexpr std::array<layers::Tensors, layer_count> tensors =
      detail::per_layer(kinds, [](const auto& kind, std::size_t i) { return kind.parameters(input_shape_of(i)); });
  static constexpr std::array<layers::ScratchList, layer_count> scratch =
      detail::per_layer(kinds, [](const auto& kind, std::size_t i) { return kind.scratch(input_shape_of(i)); });
  static constexpr std::array<layers::LayerTraits, layer_count> traits =
      detail::per_layer(kinds, [](const auto& kind, std::size_t) { return kind.traits(); });
  static constexpr std::array<layers::BackwardSteps, layer_count> backward_steps =
      detail::per_layer(kinds, [](const auto& kind, std::size_t) { return kind.backward_steps(); });
  static constexpr std::array<std::string_view, layer_count> keras_types{std::remove_cvref_t<decltype(Layers::layer)>::keras_type...};

 private:
  template <std::size_t... I>
  static constexpr bool shapes_fit(std::index_sequence<I...>) {
    static_assert((dense_input_matches_previous_output<I, declared_inputs[I], input_shape_of(I).elements()> && ...),
                  "ctnn::Net shape mismatch: a Dense layer's input size must equal the output size of the "
                  "layer before it (the note below gives the layer's position, counted from 0, and both sizes)");
    static_assert((softmax_is_the_output_layer<I, traits[I].produces_probabilities, layer_count> && ...),
                  "ctnn::Net: Softmax<N> can only be the output layer, whose probabilities the loss reads; "
                  "use Dense<In, Out, Act> for hidden layers and nothing after it (the note below gives the "
                  "layer's position, counted from 0)");
    return true;
  }
  static_assert(shapes_fit(std::make_index_sequence<layer_count>{}));

 public:
  // Which layers pass a gradient to their input in training: those with a layer with parameters below them.
  static constexpr std::array<bool, layer_count> passes_gradient =
      detail::per_layer(kinds, [](const auto&, std::size_t i) {
        return layers::passes_gradient(i, [](std::size_t j) { return tensors[j]; });
      });

  // The products of a training step at mini-batch size `batch` on `threads` threads, as the kernels
  // run them (codegen/product_plan.hpp): a constant, `constexpr auto plan = Net::product_plan(200, 2);`.
  static constexpr std::array<layers::ProductPlans, layer_count> product_plan(std::size_t batch, std::size_t threads = 1) {
    return detail::per_layer(kinds, [&](const auto& kind, std::size_t i) {
      const std::size_t input_stride = i == 0 ? layers::batch_input_stride(input_shape, traits[0]) : output_stride(i - 1);
      return layers::plan_products(kind, input_shape_of(i), input_stride, batch, passes_gradient[i], threads);
    });
  }
  // product_plan as a table, one row per product (layers/product_table.hpp).
  static std::string describe_products(std::size_t batch, std::size_t threads = 1) {
    const auto plans = product_plan(batch, threads);
    return layers::product_table(keras_types, plans, batch, threads);
  }

  static constexpr std::size_t input_size = input_shape.elements();
  static constexpr std::size_t output_size = output_shapes[layer_count - 1].elements();
  // Floats from one sample's outputs of layer i to the next sample's.
  static constexpr std::size_t output_stride(std::size_t i) { return simd::padded(output_shapes[i].elements()); }

  // Every parameter, trainable or not (BatchNorm's moving statistics included), as Keras counts them.
  static constexpr std::size_t param_count = [] {
    std::size_t total = 0;
    for (const layers::Tensors& list : tensors)
      for (const layers::Tensor& t : list) total += t.elements();
    return total;
  }();

  // --- The parameter layout: each layer's tensors one after the other, each layer's block on a
  // 64-byte boundary (layers::block_floats); gradients and optimiser state repeat it.
  static constexpr std::array<std::size_t, layer_count> parameter_offsets = [] {
    std::array<std::size_t, layer_count> offsets{};
    for (std::size_t i = 0, at = 0; i < layer_count; at += layers::block_floats(tensors[i]), ++i) offsets[i] = at;
    return offsets;
  }();
  static constexpr std::size_t parameter_floats = [] {
    std::size_t total = 0;
    for (const layers::Tensors& list : tensors) total += layers::block_floats(list);
    return total > 0 ? total : 1;
  }();
  static constexpr std::size_t tensor_offset(std::size_t i, std::size_t k) {
    std::size_t offset = parameter_offsets[i];
    for (std::size_t j = 0; j < k; ++j) offset += tensors[i][j].stored_floats();
    return offset;
  }

  // --- Text.
  // One row per layer as written, as Keras's model.summary() lists them.
  static constexpr std::array<SummaryRow, layer_count> summary_rows = [] {
    std::array<SummaryRow, layer_count> rows{};
    for (std::size_t i = 0; i < layer_count; ++i) rows[i] = layers::summary_row(keras_types[i], output_shapes[i], tensors[i]);
    return rows;
  }();
  [[nodiscard("summary() returns the table; print_summary() prints it")]] static std::string summary() {
    return format_summary(summary_rows);
  }
  static void print_summary(std::FILE* out = stdout) { std::fputs(summary().c_str(), out); }

  // The type as it reads in source, defaults spelt out: "Net<Dense<784, 400, ReLU>, Softmax<10>>".
  static std::string describe() {
    std::string text = "Net<";
    if constexpr (has_input) text += InputSpec::describe() + ", ";
    ((text += Layers::describe() + ", "), ...);
    text.resize(text.size() - 2);
    return text + ">";
  }

 private:
  static constexpr auto architecture_of = [] {
    const std::array<std::string, layer_count> tokens =
        detail::per_layer(kinds, [](const auto& kind, std::size_t) { return kind.architecture(); });
    return layers::architecture_text(
        input_shape, layer_count, [&](std::size_t i) { return tokens[i]; }, [](std::size_t i) { return keras_types[i]; });
  };

 public:
  // What model files and exported headers check: "784-400:relu-20:relu-10:softmax",
  // "784-600:relu:batchnorm-10:softmax" (layers/derived.hpp).
  static std::string architecture() { return architecture_of(); }
  static constexpr std::uint64_t fingerprint = fingerprint_of(architecture_of());

  // The same network as a run-time spec for the generic engine ("784-400:relu-20:relu-10:softmax"):
  // engine::Network{Net::spec()} is this network's generic twin, for the networks that the spec
  // language can write (layers/derived.hpp).
  static std::string spec() {
    const std::array<std::string, layer_count> tokens =
        detail::per_layer(kinds, [](const auto& kind, std::size_t) { return kind.spec(); });
    return layers::spec_text(
        input_shape, layer_count, [&](std::size_t i) { return tokens[i]; }, [](std::size_t i) { return keras_types[i]; });
  }
};

}  // namespace detail

// A network written as a type: Net<Dense<784, 400>, Softmax<10>>, or with its input's shape first,
// Net<Input<28, 28, 1>, Flatten, Dense<inferred, 128>, Softmax<10>>.
template <class... Elements>
struct Net : detail::NetOf<detail::InputOfFirstDense, Elements...> {};
template <std::size_t... Extents, class... Layers>
struct Net<Input<Extents...>, Layers...> : detail::NetOf<Input<Extents...>, Layers...> {};

template <class T>
inline constexpr bool is_net = false;
template <class... Layers>
inline constexpr bool is_net<Net<Layers...>> = true;

template <class T>
concept NetType = is_net<T>;

}  // namespace ctnn
