// The types a Net is written with: Input<extents...> (optional, first), and the layers
// Dense<In, Out, Act, Options...>, Softmax<N, Options...>, Activation<Act>, BatchNorm<momentum>,
// Dropout<rate>, Flatten, Conv2D<Filters, KH, KW, Act, Pad, Options...>, MaxPool2D<Pool, Stride>,
// AveragePool2D<Pool, Stride>, GlobalAveragePool2D, Rescaling<scale, offset>, and Layer<kind> for
// any other kind. Each is the compile-time spelling of a layer kind of the
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
#include "../layers/conv2d.hpp"
#include "../layers/flatten.hpp"
#include "../layers/global_average_pool2d.hpp"
#include "../layers/pooling2d.hpp"
#include "../layers/rescaling.hpp"

namespace ctnn {

// Conv2D's stride, an option as Keras's strides=N.
template <std::size_t N>
struct Strides {
  static_assert(N > 0, "ctnn::Strides<N>: a stride is at least 1");
  static constexpr std::size_t value = N;
};

namespace detail {

template <class T> struct is_strides : std::false_type {
  static constexpr std::size_t stride = 1;
};
template <std::size_t N> struct is_strides<Strides<N>> : std::true_type {
  static constexpr std::size_t stride = N;
};
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
  static_assert(((Regularizer<Options> || Initializer<Options> || ActivityRegularizer<Options> || is_strides<Options>::value) && ...),
                "ctnn layer options must be a regulariser (L1<c>, L2<c>, L1L2<a, b>), an activity regulariser "
                "(ActivityL1<c>) or an initialiser (GlorotUniform, HeNormal, RandomNormal<mean, stddev>, Zeros)");
  static_assert((0 + ... + int(ActivityRegularizer<Options>)) <= 1, "a ctnn layer takes at most one ActivityL1<c>");
  static_assert((0 + ... + int(Regularizer<Options>)) <= 1,
                "a ctnn layer takes at most one kernel regulariser; use L1L2<a, b> for both L1 and L2");
  static_assert((0 + ... + int(Initializer<Options>)) <= 1,
                "a ctnn layer takes at most one initialiser");
  static_assert((0 + ... + int(is_strides<Options>::value)) <= 1, "a ctnn layer takes at most one Strides<N>");

  using regularizer = option_of_kind<is_regularizer, NoRegularizer, Options...>;
  using initializer = option_of_kind<is_initializer, GlorotUniform, Options...>;
  using activity_regularizer = option_of_kind<is_activity_regularizer, NoActivityRegularizer, Options...>;
  static constexpr std::size_t stride = (std::size_t(1) * ... * is_strides<Options>::stride);

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
  static_assert(options::stride == 1, "ctnn::Dense takes no Strides<N>; strides are Conv2D's");

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

// Conv2D's padding, as Keras's padding="valid" / "same".
struct Valid {
  static constexpr layers::Padding padding = layers::Padding::valid;
  static constexpr const char* name = "Valid";
};
struct Same {
  static constexpr layers::Padding padding = layers::Padding::same;
  static constexpr const char* name = "Same";
};

// Keras's Conv2D(Filters, (KH, KW), activation=Act, padding=Pad, ...) on images (layers/conv2d.hpp).
// Options: Strides<N> (Keras's strides=N; 1 when not given), a kernel regulariser, an initialiser.
template <std::size_t Filters, std::size_t KH, std::size_t KW, class Act = ReLU, class Pad = Valid, class... Options>
struct Conv2D {
  static_assert(Filters > 0 && KH > 0 && KW > 0, "ctnn::Conv2D<Filters, KH, KW>: every size must be at least 1");
  static_assert(ActivationFunction<Act> && !std::is_same_v<Act, detail::SoftmaxActivation>,
                "ctnn::Conv2D<Filters, KH, KW, Act>: Act must be an activation (ReLU, Linear, Sigmoid or Tanh)");
  static_assert(std::is_same_v<Pad, Valid> || std::is_same_v<Pad, Same>,
                "ctnn::Conv2D<Filters, KH, KW, Act, Pad>: Pad is Valid or Same");
  using options = detail::LayerOptions<Options...>;
  static_assert(std::is_same_v<typename options::activity_regularizer, detail::NoActivityRegularizer>,
                "ctnn::Conv2D takes no activity regulariser");

  static constexpr layers::Conv2D layer{Filters, KH, KW, options::stride, Pad::padding, activation_kind_of<Act>,
                                        regularizer_spec_of<typename options::regularizer>,
                                        initializer_spec_of<typename options::initializer>()};
  static constexpr std::size_t declared_inputs = 0;

  static std::string describe() {
    return "Conv2D<" + std::to_string(Filters) + ", " + std::to_string(KH) + ", " + std::to_string(KW) + ", " +
           std::string(Act::name) + ", " + Pad::name + (options::stride != 1 ? ", Strides<" + std::to_string(options::stride) + ">" : "") +
           options::describe() + ">";
  }
};

namespace detail {
// Keras's MaxPooling2D(Pool, strides=Stride) or AveragePooling2D, padding "valid" (layers/pooling2d.hpp).
template <class Kind, std::size_t Pool, std::size_t Stride>
struct Pooling2D {
  static_assert(Pool > 0 && Stride > 0, "ctnn::MaxPool2D<Pool, Stride> / AveragePool2D: the pool and the stride are at least 1");
  static constexpr Kind layer{Pool, Pool, Stride};
  static constexpr std::size_t declared_inputs = 0;
  static std::string describe() {
    return std::string(Kind::keras_type == "MaxPooling2D" ? "MaxPool2D<" : "AveragePool2D<") + std::to_string(Pool) +
           (Stride != Pool ? ", " + std::to_string(Stride) : "") + ">";
  }
};
}  // namespace detail
template <std::size_t Pool, std::size_t Stride = Pool>
using MaxPool2D = detail::Pooling2D<layers::MaxPool2D, Pool, Stride>;
template <std::size_t Pool, std::size_t Stride = Pool>
using AveragePool2D = detail::Pooling2D<layers::AveragePool2D, Pool, Stride>;

// Keras's GlobalAveragePooling2D() (layers/global_average_pool2d.hpp).
struct GlobalAveragePool2D {
  static constexpr layers::GlobalAveragePool2D layer{};
  static constexpr std::size_t declared_inputs = 0;
  static std::string describe() { return "GlobalAveragePool2D"; }
};

// Keras's Rescaling(scale, offset): Rescaling<1.0 / 255> on raw pixels (layers/rescaling.hpp).
template <auto Scale, auto Offset = 0>
struct Rescaling {
  static_assert(std::is_arithmetic_v<decltype(Scale)> && std::is_arithmetic_v<decltype(Offset)>,
                "ctnn::Rescaling<scale, offset>: both are numbers");
  static constexpr layers::Rescaling layer{float(Scale), float(Offset)};
  static constexpr std::size_t declared_inputs = 0;
  static std::string describe() {
    return "Rescaling<" + detail::format_float(layer.scale) + (layer.offset != 0.0f ? ", " + detail::format_float(layer.offset) : "") + ">";
  }
};

namespace detail {
template <class T>
inline constexpr bool is_input = false;
template <std::size_t... Extents>
inline constexpr bool is_input<Input<Extents...>> = true;
}  // namespace detail

}  // namespace ctnn
