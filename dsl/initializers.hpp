// Kernel initialisers, with Keras's definitions. Biases always start at zero.
// Each one draws from any generator that offers uniform() in [0, 1) and normal() ~ N(0, 1).
#pragma once

#include <cmath>
#include <concepts>
#include <cstddef>
#include <string>
#include <type_traits>

#include "format.hpp"

namespace ctnn {

// U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)).
struct GlorotUniform {
  static std::string describe() { return "GlorotUniform"; }
  static std::string spec() { return "glorot_uniform"; }
  template <class Rng>
  static float sample(Rng& rng, std::size_t fan_in, std::size_t fan_out) {
    const double limit = std::sqrt(6.0 / double(fan_in + fan_out));
    return float((2.0 * rng.uniform() - 1.0) * limit);
  }
};

// Keras's HeNormal: a normal truncated at two standard deviations, with the standard deviation
// scaled so that the truncated distribution has variance 2 / fan_in.
struct HeNormal {
  static std::string describe() { return "HeNormal"; }
  static std::string spec() { return "he_normal"; }
  template <class Rng>
  static float sample(Rng& rng, std::size_t fan_in, std::size_t) {
    constexpr double truncation_correction = 0.87962566103423978;
    const double stddev = std::sqrt(2.0 / double(fan_in)) / truncation_correction;
    double z = rng.normal();
    while (std::abs(z) > 2.0) z = rng.normal();
    return float(z * stddev);
  }
};

// One draw of RandomNormal, shared with the run-time engine so that both start from the same weights.
template <class Rng>
float sample_normal(Rng& rng, float mean, float stddev) {
  return float(mean + stddev * rng.normal());
}

// Mean and stddev written as any number (RandomNormal<0.0, 0.1>, RandomNormal<0, 0.1f>), used as float.
template <auto Mean = 0.0, auto Stddev = 0.05>
struct RandomNormal {
  static_assert(std::is_arithmetic_v<decltype(Mean)> && std::is_arithmetic_v<decltype(Stddev)>,
                "ctnn::RandomNormal<mean, stddev>: mean and stddev must be numbers");
  static_assert(Stddev >= 0, "ctnn::RandomNormal<mean, stddev>: stddev must not be negative");
  static constexpr float mean = float(Mean), stddev = float(Stddev);
  static std::string describe() {
    return "RandomNormal<" + detail::format_float(mean) + ", " + detail::format_float(stddev) + ">";
  }
  static std::string spec() {
    return "random_normal=" + detail::format_float(mean) + "," + detail::format_float(stddev);
  }
  template <class Rng>
  static float sample(Rng& rng, std::size_t, std::size_t) {
    return sample_normal(rng, mean, stddev);
  }
};

struct Zeros {
  static std::string describe() { return "Zeros"; }
  static std::string spec() { return "zeros"; }
  template <class Rng>
  static float sample(Rng&, std::size_t, std::size_t) { return 0.0f; }
};

namespace detail {
struct InitializerProbeRng {
  double uniform();
  double normal();
};
}  // namespace detail

template <class T>
concept Initializer = requires(detail::InitializerProbeRng& rng) {
  { T::sample(rng, std::size_t{}, std::size_t{}) } -> std::same_as<float>;
};

}  // namespace ctnn
