// The vocabulary of dsl/ as run-time values: an activation, an initialiser or a regulariser read
// from a spec or a file, for the generic engine and for layer descriptions that both backends read.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "activations.hpp"
#include "format.hpp"
#include "initializers.hpp"

namespace ctnn {

enum class ActivationKind { relu, linear, sigmoid, tanh, softmax };
enum class InitializerKind { glorot_uniform, he_normal, random_normal, zeros, ones };

// Calls f(ReLU{}) etc. for the activation's DSL tag: the engine picks the kernel once per layer.
template <class F>
decltype(auto) with_activation(ActivationKind kind, F&& f) {
  switch (kind) {
    case ActivationKind::relu: return f(ReLU{});
    case ActivationKind::linear: return f(Linear{});
    case ActivationKind::sigmoid: return f(Sigmoid{});
    case ActivationKind::tanh: return f(Tanh{});
    case ActivationKind::softmax: break;
  }
  return f(detail::SoftmaxActivation{});
}

inline std::string_view spec_name(ActivationKind kind) {
  return with_activation(kind, [](auto tag) { return decltype(tag)::spec; });
}
inline std::string_view type_name(ActivationKind kind) {
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

}  // namespace ctnn
