// The types a Net is written with: Input<extents...> (optional, first), and the layers
// Dense<In, Out, Act, Options...>, Softmax<N, Options...>, Activation<Act>, BatchNorm<momentum>,
// Dropout<rate>, Flatten, and Layer<kind> for any other kind. Each is the compile-time spelling of a layer kind of the
// protocol (layers/): `layer` is the kind's value, which the Net driver reads as a constant. The
// static_asserts here check what can be checked of one layer alone, in the words of its type.
#pragma once

#include <boost/hana/ext/std/integral_constant.hpp>
#include <boost/hana/find_if.hpp>
#include <boost/hana/optional.hpp>
#include <boost/hana/traits.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>
#include <cstddef>
#include <string>
#include <type_traits>

#include "../dsl/activations.hpp"
#include "../dsl/batch_norm_defaults.hpp"
#include "../dsl/format.hpp"
#include "../dsl/initializers.hpp"
#include "../dsl/regularizers.hpp"
#include "../dsl/run_time_options.hpp"
#include "../layers/activation.hpp"
#include "../layers/batch_norm.hpp"
#include "../layers/dense.hpp"
#include "../layers/dropout.hpp"
#include "../layers/flatten.hpp"

namespace ctnn {

namespace detail {

template <class T> struct is_regularizer : std::bool_constant<Regularizer<T>> {};
template <class T> struct is_initializer : std::bool_constant<Initializer<T>> {};
template <class T> struct is_activity_regularizer : std::bool_constant<ActivityRegularizer<T>> {};
struct NoActivityRegularizer {
  static constexpr float activity_l1 = 0.0f;
  static std::string describe() { return {}; }
};

template <template <class> class Kind, class Fallback, class... Options>
using option_of_kind = typename std::remove_cvref_t<decltype(
    boost::hana::find_if(boost::hana::tuple_t<Options...>, boost::hana::trait<Kind>)
        .value_or(boost::hana::type_c<Fallback>))>::type;

// Checks shared by Dense and Softmax: every option is a regulariser or an initialiser, one of each at most.
template <class... Options>
struct LayerOptions {
  static_assert(((Regularizer<Options> || Initializer<Options> || ActivityRegularizer<Options>) && ...),
                "ctnn layer options must be a regulariser (L1<c>, L2<c>, L1L2<a, b>), an activity regulariser "
                "(ActivityL1<c>) or an initialiser (GlorotUniform, HeNormal, RandomNormal<mean, stddev>, Zeros)");
  static_assert((0 + ... + int(ActivityRegularizer<Options>)) <= 1, "a ctnn layer takes at most one ActivityL1<c>");
  static_assert((0 + ... + int(Regularizer<Options>)) <= 1,
                "a ctnn layer takes at most one kernel regulariser; use L1L2<a, b> for both L1 and L2");
  static_assert((0 + ... + int(Initializer<Options>)) <= 1,
                "a ctnn layer takes at most one initialiser");

  using regularizer = option_of_kind<is_regularizer, NoRegularizer, Options...>;
  using initializer = option_of_kind<is_initializer, GlorotUniform, Options...>;
  using activity_regularizer = option_of_kind<is_activity_regularizer, NoActivityRegularizer, Options...>;

  // A Dense layer of `units` with these options.
  static constexpr layers::Dense dense(std::size_t units, ActivationKind activation) {
    return {units, activation, regularizer_spec_of<regularizer>, initializer_spec_of<initializer>(),
            activity_regularizer::activity_l1};
  }

  // The options as they read in a type, defaults left out: ", L2<0.01>, HeNormal".
  static std::string describe() {
    std::string text;
    if constexpr (!std::is_same_v<regularizer, NoRegularizer>) text += ", " + regularizer::describe();
    if constexpr (!std::is_same_v<initializer, GlorotUniform>) text += ", " + initializer::describe();
    if constexpr (!std::is_same_v<activity_regularizer, NoActivityRegularizer>)
      text += ", " + activity_regularizer::describe();
    return text;
  }
};

}  // namespace detail

// The shape of one sample, as the first element of a Net: Input<784>, or Input<28, 28, 1> for
// images (height, width, channels; Keras's Input(shape=(28, 28, 1))). Without it, the first Dense
// layer's In is the input size.
template <std::size_t... Extents>
struct Input {
  static_assert(sizeof...(Extents) == 1 || sizeof...(Extents) == 3,
                "ctnn::Input<...>: an input is a number of features (Input<784>) or height, width and channels "
                "(Input<28, 28, 1>)");
  static_assert(((Extents > 0) && ...), "ctnn::Input<...>: every extent must be at least 1");
  static constexpr Shape shape{Extents...};

  static std::string describe() {
    std::string text = "Input<";
    ((text += std::to_string(Extents) + ", "), ...);
    text.resize(text.size() - 2);
    return text + ">";
  }
};

// Dense<inferred, Out>: the layer reads whatever the layer before it outputs, as Keras's Dense(Out).
inline constexpr std::size_t inferred = std::size_t(-1);

// A fully connected layer of Out units reading In values (or `inferred`: the previous layer's
// outputs; a stated In is checked against them).
template <std::size_t In, std::size_t Out, class Act = ReLU, class... Options>
struct Dense {
  static_assert(In > 0 && Out > 0, "ctnn::Dense<In, Out>: both sizes must be at least 1");
  static_assert(ActivationFunction<Act> && !std::is_same_v<Act, detail::SoftmaxActivation>,
                "ctnn::Dense<In, Out, Act>: Act must be an activation (ReLU, Linear, Sigmoid or Tanh); "
                "regularisers and initialisers come after it");
  using options = detail::LayerOptions<Options...>;

  static constexpr layers::Dense layer = options::dense(Out, activation_kind_of<Act>);
  static constexpr std::size_t declared_inputs = In == inferred ? 0 : In;  // checked against the layer before it

  static std::string describe() {
    return "Dense<" + (In == inferred ? std::string("inferred") : std::to_string(In)) + ", " + std::to_string(Out) + ", " +
           std::string(Act::name) + options::describe() + ">";
  }
};

// The output layer: N units with softmax, reading whatever the previous layer outputs, as Keras's
// Dense(N, activation="softmax"). Every loss (dsl/losses.hpp) reads its probabilities;
// cross-entropy fuses with it into p - y.
template <std::size_t N, class... Options>
struct Softmax {
  static_assert(N >= 2, "ctnn::Softmax<N>: a softmax needs at least two classes");
  using options = detail::LayerOptions<Options...>;

  static constexpr layers::Dense layer = options::dense(N, ActivationKind::softmax);
  static constexpr std::size_t declared_inputs = 0;  // taken from the previous layer

  static std::string describe() { return "Softmax<" + std::to_string(N) + options::describe() + ">"; }
};

// Any layer kind of the protocol given as a value, ctnn's own or one written outside it:
// Layer<plugin::PerFeatureScale{}>. The kind's description functions must be constexpr, since the
// Net asks them in constant evaluation.
template <auto Kind>
struct Layer {
  static constexpr auto layer = Kind;
  static constexpr std::size_t declared_inputs = 0;

  static std::string describe() { return "Layer<" + Kind.spec() + ">"; }
};

// Keras's Activation(act) as a layer of its own (layers/activation.hpp), for an activation after a
// BatchNorm: Dense<784, 400, Linear>, BatchNorm<>, Activation<ReLU>.
template <class Act>
struct Activation {
  static_assert(ActivationFunction<Act> && !std::is_same_v<Act, detail::SoftmaxActivation>,
                "ctnn::Activation<Act>: Act must be an activation (ReLU, Linear, Sigmoid or Tanh); for a softmax "
                "output use Softmax<N>");
  static constexpr layers::Activation layer{activation_kind_of<Act>};
  static constexpr std::size_t declared_inputs = 0;

  static std::string describe() { return "Activation<" + std::string(Act::name) + ">"; }
};

// Keras's BatchNormalization(momentum, epsilon=1e-3) on the outputs of the layer before it
// (layers/batch_norm.hpp).
template <auto Momentum = default_batch_norm_momentum>
struct BatchNorm {
  static_assert(std::is_arithmetic_v<decltype(Momentum)>, "ctnn::BatchNorm<momentum>: the momentum must be a number");
  static_assert(Momentum >= 0 && Momentum <= 1, "ctnn::BatchNorm<momentum>: the momentum of the moving statistics is in [0, 1]");
  static constexpr layers::BatchNorm layer{float(Momentum)};
  static constexpr std::size_t declared_inputs = 0;

  static std::string describe() {
    return layer.momentum == default_batch_norm_momentum ? "BatchNorm<>"
                                                         : "BatchNorm<" + detail::format_float(layer.momentum) + ">";
  }
};

// Keras's Dropout(rate), inverted, on the outputs of the layer before it (layers/dropout.hpp).
template <auto Rate>
struct Dropout {
  static_assert(std::is_arithmetic_v<decltype(Rate)>, "ctnn::Dropout<rate>: the rate must be a number");
  static_assert(Rate >= 0 && Rate < 1, "ctnn::Dropout<rate>: the rate is the fraction of outputs dropped, in [0, 1)");
  static constexpr layers::Dropout layer{float(Rate)};
  static constexpr std::size_t declared_inputs = 0;

  static std::string describe() { return "Dropout<" + detail::format_float(layer.rate) + ">"; }
};

// Keras's Flatten(): an image's height x width x channels values as one vector (layers/flatten.hpp).
struct Flatten {
  static constexpr layers::Flatten layer{};
  static constexpr std::size_t declared_inputs = 0;

  static std::string describe() { return "Flatten"; }
};

namespace detail {
template <class T>
inline constexpr bool is_input = false;
template <std::size_t... Extents>
inline constexpr bool is_input<Input<Extents...>> = true;
}  // namespace detail

}  // namespace ctnn
