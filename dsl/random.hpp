// Seed and the library's random generator. Results must not depend on the standard library's
// distributions (their algorithms are unspecified), so sampling is written out here.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>

namespace ctnn {

// Seeds a model's initial weights: Model<Net> model{Seed{42}}.
struct Seed {
  std::uint64_t value = 0;
};

// splitmix64: small, fast, and good enough for initialisation, shuffling and dropout masks.
// A stream number gives independent sequences from one seed (one per layer, one per epoch).
class Rng {
 public:
  explicit Rng(std::uint64_t seed, std::uint64_t stream = 0) : state_(seed ^ mix(stream + 0x632be59bd9b4e019ULL)) {}

  std::uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ULL;
    return mix(state_);
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  // Standard normal (Box-Muller; one value per call keeps the stream simple to reason about).
  double normal() {
    const double u1 = 1.0 - uniform();  // (0, 1]: log() stays finite
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  // Uniform integer in [0, n), without modulo bias.
  std::size_t below(std::size_t n) {
    const std::uint64_t limit = ~std::uint64_t{0} - ~std::uint64_t{0} % n;
    std::uint64_t x = next();
    while (x >= limit) x = next();
    return std::size_t(x % n);
  }

 private:
  static std::uint64_t mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::uint64_t state_;
};

}  // namespace ctnn
