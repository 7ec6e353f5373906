// The vocabulary of dsl/ as run-time values: an activation, an initialiser or a regulariser read
// from a spec or a file, for the generic engine and for layer descriptions that both backends read.
#pragma once

#include <cstddef>
#include <string>
#include <optional>
#include <string_view>
#include <type_traits>

#include "activations.hpp"
#include "format.hpp"
#include "initializers.hpp"

namespace ctnn {

enum class ActivationKind { relu, linear, sigmoid, tanh, softmax };
enum class InitializerKind { glorot_uniform, he_normal, random_normal, zeros, ones };

// Calls f(ReLU{}) etc. for the activation's DSL tag: the engine picks the kernel once per layer.
template <class F>
constexpr decltype(auto) with_activation(ActivationKind kind, F&& f) {
  switch (kind) {
    case ActivationKind::relu: return f(ReLU{});
    case ActivationKind::linear: return f(Linear{});
    case ActivationKind::sigmoid: return f(Sigmoid{});
    case ActivationKind::tanh: return f(Tanh{});
    case ActivationKind::softmax: break;
  }
  return f(detail::SoftmaxActivation{});
}

// The DSL tag of an activation known at compile time, and back.
namespace detail {
template <ActivationKind Kind>
struct activation_type_of {
  using type = std::conditional_t<
      Kind == ActivationKind::relu, ReLU,
      std::conditional_t<Kind == ActivationKind::linear, Linear,
                         std::conditional_t<Kind == ActivationKind::sigmoid, Sigmoid,
                                            std::conditional_t<Kind == ActivationKind::tanh, Tanh, SoftmaxActivation>>>>;
};
}  // namespace detail
template <ActivationKind Kind>
using activation_type = typename detail::activation_type_of<Kind>::type;
template <ActivationFunction Act>
inline constexpr ActivationKind activation_kind_of = [] {
  for (ActivationKind kind : {ActivationKind::relu, ActivationKind::linear, ActivationKind::sigmoid, ActivationKind::tanh})
    if (with_activation(kind, [](auto tag) { return std::is_same_v<decltype(tag), Act>; })) return kind;
  return ActivationKind::softmax;
}();

constexpr std::string_view spec_name(ActivationKind kind) {
  return with_activation(kind, [](auto tag) { return decltype(tag)::spec; });
}
// The activation a spec names ("relu", "softmax", ...), if `name` is one.
constexpr std::optional<ActivationKind> activation_named(std::string_view name) {
  for (ActivationKind kind : {ActivationKind::relu, ActivationKind::linear, ActivationKind::sigmoid, ActivationKind::tanh,
                              ActivationKind::softmax})
    if (spec_name(kind) == name) return kind;
  return std::nullopt;
}
constexpr std::string_view type_name(ActivationKind kind) {
  return with_activation(kind, [](auto tag) { return decltype(tag)::name; });
}

struct InitializerSpec {
  InitializerKind kind = InitializerKind::glorot_uniform;
  float mean = 0.0f, stddev = 0.05f;  // RandomNormal's parameters

  template <class Rng>
  float sample(Rng& rng, std::size_t fan_in, std::size_t fan_out) const {
    switch (kind) {
      case InitializerKind::glorot_uniform: return GlorotUniform::sample(rng, fan_in, fan_out);
      case InitializerKind::he_normal: return HeNormal::sample(rng, fan_in, fan_out);
      case InitializerKind::random_normal: return sample_normal(rng, mean, stddev);
      case InitializerKind::zeros: break;
      case InitializerKind::ones: return 1.0f;
    }
    return 0.0f;
  }
  std::string spec() const {
    switch (kind) {
      case InitializerKind::glorot_uniform: return "glorot_uniform";
      case InitializerKind::he_normal: return "he_normal";
      case InitializerKind::random_normal:
        return "random_normal=" + detail::format_float(mean) + "," + detail::format_float(stddev);
      case InitializerKind::zeros: break;
      case InitializerKind::ones: return "ones";
    }
    return "zeros";
  }
  bool operator==(const InitializerSpec&) const = default;
};

// The value of an initialiser type of the DSL.
template <Initializer Init>
constexpr InitializerSpec initializer_spec_of() {
  if constexpr (std::is_same_v<Init, GlorotUniform>) return {InitializerKind::glorot_uniform};
  else if constexpr (std::is_same_v<Init, HeNormal>) return {InitializerKind::he_normal};
  else if constexpr (std::is_same_v<Init, Zeros>) return {InitializerKind::zeros};
  else if constexpr (requires { Init::mean; Init::stddev; }) return {InitializerKind::random_normal, Init::mean, Init::stddev};
  else static_assert(sizeof(Init) == 0, "ctnn: the initialiser must be GlorotUniform, HeNormal, RandomNormal<mean, stddev> or Zeros");
}

// Kernel regulariser coefficients, read by the same kernels as the DSL's L1/L2/L1L2 types.
struct RegularizerSpec {
  float l1 = 0.0f, l2 = 0.0f;

  std::string spec() const {
    if (l1 != 0.0f && l2 != 0.0f)
      return "l1l2=" + detail::format_float(l1) + "," + detail::format_float(l2);
    if (l1 != 0.0f) return "l1=" + detail::format_float(l1);
    if (l2 != 0.0f) return "l2=" + detail::format_float(l2);
    return {};
  }
  bool operator==(const RegularizerSpec&) const = default;
};

// The value of a regulariser type of the DSL (L1<c>, L2<c>, L1L2<a, b>, NoRegularizer).
template <class Reg>
inline constexpr RegularizerSpec regularizer_spec_of{Reg::l1, Reg::l2};

}  // namespace ctnn
