// Layer types: Dense<In, Out, Act, Options...>, Softmax<N, Options...>, BatchNorm<momentum> and
// Dropout<rate>. Inside a Net every Dense or Softmax is resolved to a LayerSpec, the single shape
// the code generator sees; a BatchNorm or Dropout becomes part of the LayerSpec of the layer it
// follows.
#pragma once

#include <boost/hana/ext/std/integral_constant.hpp>
#include <boost/hana/find_if.hpp>
#include <boost/hana/optional.hpp>
#include <boost/hana/traits.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>

#include "activations.hpp"
#include "batch_norm_defaults.hpp"
#include "format.hpp"
#include "initializers.hpp"
#include "regularizers.hpp"

namespace ctnn {

// What a layer type is to a Net: a layer with weights, or one that transforms the output of the
// layer before it.
enum class LayerKind { dense, batch_norm, dropout };

// A fully resolved layer: y = Act(x W + b), W of In x Out, then batch normalisation when
// BatchNormMomentum >= 0, then (in training only) inverted dropout of rate DropoutRate. What
// codegen works from.
template <std::size_t In, std::size_t Out, class Act, class Reg, class Init, float DropoutRate = 0.0f,
          float ActivityL1Coefficient = 0.0f, float BatchNormMomentum = no_batch_norm>
struct LayerSpec {
  static constexpr std::size_t inputs = In;
  static constexpr std::size_t outputs = Out;
  static constexpr bool has_batch_norm = BatchNormMomentum >= 0.0f;
  static constexpr float batch_norm_momentum = BatchNormMomentum;
  // Kernel and bias; with batch normalisation also gamma, beta, moving mean and moving variance.
  static constexpr std::size_t param_count = In * Out + Out + (has_batch_norm ? 4 * Out : 0);
  static constexpr float dropout_rate = DropoutRate;
  static constexpr bool has_dropout = DropoutRate > 0.0f;
  static constexpr float activity_l1 = ActivityL1Coefficient;  // ActivityL1<c> on the outputs (0: none)
  using activation = Act;
  using regularizer = Reg;
  using initializer = Init;

  // The layer in a run-time spec: "400:relu", "10:softmax:l2=0.01:he_normal" (defaults left out).
  static std::string spec() {
    std::string text = std::to_string(Out);  // appended piece by piece: ":" + string trips a false GCC 12 -Wrestrict
    text.append(":").append(Act::spec);
    if constexpr (!std::is_same_v<Reg, NoRegularizer>) text.append(":").append(Reg::spec());
    if constexpr (!std::is_same_v<Init, GlorotUniform>) text.append(":").append(Init::spec());
    if constexpr (activity_l1 > 0.0f) text.append(":activity_l1=").append(detail::format_float(activity_l1));
    if constexpr (has_batch_norm) {
      text.append(":batchnorm");
      if constexpr (BatchNormMomentum != default_batch_norm_momentum)
        text.append("=").append(detail::format_float(BatchNormMomentum));
    }
    if constexpr (has_dropout) text.append(":dropout=").append(detail::format_float(DropoutRate));
    return text;
  }
};

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

// A fully connected layer of Out units reading In values.
template <std::size_t In, std::size_t Out, class Act = ReLU, class... Options>
struct Dense {
  static_assert(In > 0 && Out > 0, "ctnn::Dense<In, Out>: both sizes must be at least 1");
  static_assert(Activation<Act> && !std::is_same_v<Act, detail::SoftmaxActivation>,
                "ctnn::Dense<In, Out, Act>: Act must be an activation (ReLU, Linear, Sigmoid or Tanh); "
                "regularisers and initialisers come after it");
  using options = detail::LayerOptions<Options...>;

  static constexpr LayerKind kind = LayerKind::dense;
  static constexpr std::string_view keras_type = "Dense";
  static constexpr std::size_t declared_inputs = In;
  static constexpr std::size_t outputs = Out;
  template <std::size_t Inputs, float DropoutRate = 0.0f, float BatchNormMomentum = no_batch_norm>
  using resolve = LayerSpec<Inputs, Out, Act, typename options::regularizer, typename options::initializer, DropoutRate,
                            options::activity_regularizer::activity_l1, BatchNormMomentum>;

  static std::string describe() {
    return "Dense<" + std::to_string(In) + ", " + std::to_string(Out) + ", " + std::string(Act::name) +
           options::describe() + ">";
  }
};

// The output layer: N units with softmax, reading whatever the previous layer outputs.
// Every loss (dsl/losses.hpp) reads its probabilities; cross-entropy fuses with it into p - y.
template <std::size_t N, class... Options>
struct Softmax {
  static_assert(N >= 2, "ctnn::Softmax<N>: a softmax needs at least two classes");
  using options = detail::LayerOptions<Options...>;

  static constexpr LayerKind kind = LayerKind::dense;
  static constexpr std::string_view keras_type = "Dense";  // Keras writes Dense(N, activation="softmax")
  static constexpr std::size_t declared_inputs = 0;  // taken from the previous layer
  static constexpr std::size_t outputs = N;
  template <std::size_t Inputs, float DropoutRate = 0.0f, float BatchNormMomentum = no_batch_norm>
  using resolve = LayerSpec<Inputs, N, detail::SoftmaxActivation, typename options::regularizer,
                            typename options::initializer, DropoutRate, options::activity_regularizer::activity_l1,
                            BatchNormMomentum>;

  static std::string describe() { return "Softmax<" + std::to_string(N) + options::describe() + ">"; }
};

// Batch normalisation of the outputs of the Dense layer before it, as Keras's
// BatchNormalization(momentum, epsilon=1e-3) placed after Dense(units, activation=...): in training
// each output is normalised with the batch's mean and (biased) variance, then scaled by gamma and
// shifted by beta (both trained), and the moving mean and variance follow the batch's statistics
// (moving = moving * momentum + batch * (1 - momentum)); in inference the moving statistics are
// used. Goes between the Dense layer and its Dropout, if any.
template <auto Momentum = default_batch_norm_momentum>
struct BatchNorm {
  static_assert(std::is_arithmetic_v<decltype(Momentum)>, "ctnn::BatchNorm<momentum>: the momentum must be a number");
  static_assert(Momentum >= 0 && Momentum <= 1, "ctnn::BatchNorm<momentum>: the momentum of the moving statistics is in [0, 1]");
  static constexpr LayerKind kind = LayerKind::batch_norm;
  static constexpr std::string_view keras_type = "BatchNormalization";
  static constexpr float momentum = float(Momentum);
  static constexpr std::size_t declared_inputs = 0;
  static constexpr std::size_t outputs = 0;  // as many as the layer before it

  static std::string describe() {
    return momentum == default_batch_norm_momentum ? "BatchNorm<>" : "BatchNorm<" + detail::format_float(momentum) + ">";
  }
};

// Inverted dropout of the layer before it, as Keras's Dropout(rate): in training each output is
// zeroed with probability `rate` and the others scaled by 1 / (1 - rate); in inference it does
// nothing. Masks come from fit's seed: the same seed gives the same run, on any thread count.
template <auto Rate>
struct Dropout {
  static_assert(std::is_arithmetic_v<decltype(Rate)>, "ctnn::Dropout<rate>: the rate must be a number");
  static_assert(Rate >= 0 && Rate < 1, "ctnn::Dropout<rate>: the rate is the fraction of outputs dropped, in [0, 1)");
  static constexpr LayerKind kind = LayerKind::dropout;
  static constexpr std::string_view keras_type = "Dropout";
  static constexpr float rate = float(Rate);
  static constexpr std::size_t declared_inputs = 0;
  static constexpr std::size_t outputs = 0;  // as many as the layer before it

  static std::string describe() { return "Dropout<" + detail::format_float(rate) + ">"; }
};

}  // namespace ctnn
