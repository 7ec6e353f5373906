// Kernel regularisers, with Keras's definitions: the penalty c * sum(|w|) (L1) and
// c * sum(w^2) (L2) is added to the reported loss, and its derivative to the kernel gradient.
#pragma once

#include <concepts>
#include <string>

#include "format.hpp"

namespace ctnn {

template <float C>
struct L1 {
  static_assert(C >= 0.0f, "ctnn::L1<c>: the coefficient c must not be negative");
  static constexpr float l1 = C, l2 = 0.0f;
  static std::string describe() { return "L1<" + detail::format_float(C) + ">"; }
  static std::string spec() { return "l1=" + detail::format_float(C); }
};

template <float C>
struct L2 {
  static_assert(C >= 0.0f, "ctnn::L2<c>: the coefficient c must not be negative");
  static constexpr float l1 = 0.0f, l2 = C;
  static std::string describe() { return "L2<" + detail::format_float(C) + ">"; }
  static std::string spec() { return "l2=" + detail::format_float(C); }
};

template <float A, float B>
struct L1L2 {
  static_assert(A >= 0.0f && B >= 0.0f, "ctnn::L1L2<a, b>: the coefficients must not be negative");
  static constexpr float l1 = A, l2 = B;
  static std::string describe() {
    return "L1L2<" + detail::format_float(A) + ", " + detail::format_float(B) + ">";
  }
  static std::string spec() { return "l1l2=" + detail::format_float(A) + "," + detail::format_float(B); }
};

// What a layer gets when it names no regulariser.
struct NoRegularizer {
  static constexpr float l1 = 0.0f, l2 = 0.0f;
  static std::string describe() { return {}; }
  static std::string spec() { return {}; }
};

template <class T>
concept Regularizer = requires {
  { T::l1 } -> std::convertible_to<float>;
  { T::l2 } -> std::convertible_to<float>;
  { T::describe() } -> std::convertible_to<std::string>;
  { T::spec() } -> std::convertible_to<std::string>;
};

template <class R>
inline constexpr bool is_regularized = (R::l1 != 0.0f || R::l2 != 0.0f);

}  // namespace ctnn
