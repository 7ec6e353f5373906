// Kernel regularisers, with Keras's definitions (coefficients written as any number,
// L2<0.01> or L2<0.01f>, and used as float): the penalty c * sum(|w|) (L1) and
// c * sum(w^2) (L2) is added to the reported loss, and its derivative to the kernel gradient.
#pragma once

#include <concepts>
#include <string>
#include <type_traits>

#include "format.hpp"

namespace ctnn {

template <auto C>
struct L1 {
  static_assert(std::is_arithmetic_v<decltype(C)>, "ctnn::L1<c>: c must be a number");
  static_assert(C >= 0, "ctnn::L1<c>: the coefficient c must not be negative");
  static constexpr float l1 = float(C), l2 = 0.0f;
  static std::string describe() { return "L1<" + detail::format_float(l1) + ">"; }
  static std::string spec() { return "l1=" + detail::format_float(l1); }
};

template <auto C>
struct L2 {
  static_assert(std::is_arithmetic_v<decltype(C)>, "ctnn::L2<c>: c must be a number");
  static_assert(C >= 0, "ctnn::L2<c>: the coefficient c must not be negative");
  static constexpr float l1 = 0.0f, l2 = float(C);
  static std::string describe() { return "L2<" + detail::format_float(l2) + ">"; }
  static std::string spec() { return "l2=" + detail::format_float(l2); }
};

template <auto A, auto B>
struct L1L2 {
  static_assert(std::is_arithmetic_v<decltype(A)> && std::is_arithmetic_v<decltype(B)>,
                "ctnn::L1L2<a, b>: a and b must be numbers");
  static_assert(A >= 0 && B >= 0, "ctnn::L1L2<a, b>: the coefficients must not be negative");
  static constexpr float l1 = float(A), l2 = float(B);
  static std::string describe() {
    return "L1L2<" + detail::format_float(l1) + ", " + detail::format_float(l2) + ">";
  }
  static std::string spec() { return "l1l2=" + detail::format_float(l1) + "," + detail::format_float(l2); }
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

// Keras's activity_regularizer=l1(c) on a Dense layer: c * sum(|a|) over the layer's outputs a for
// the whole batch (Keras 3: not divided by the batch size) is added to the training loss, and its
// derivative to the gradient of the outputs.
template <auto C>
struct ActivityL1 {
  static_assert(std::is_arithmetic_v<decltype(C)>, "ctnn::ActivityL1<c>: c must be a number");
  static_assert(C >= 0, "ctnn::ActivityL1<c>: the coefficient c must not be negative");
  static constexpr float activity_l1 = float(C);
  static std::string describe() { return "ActivityL1<" + detail::format_float(activity_l1) + ">"; }
  static std::string spec() { return "activity_l1=" + detail::format_float(activity_l1); }
};

template <class T>
concept ActivityRegularizer = requires {
  { T::activity_l1 } -> std::convertible_to<float>;
};

template <class R>
inline constexpr bool is_regularized = (R::l1 != 0.0f || R::l2 != 0.0f);

}  // namespace ctnn
