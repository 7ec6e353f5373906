// A size that the kernels take either as a compile-time constant (the generated code, from a Net
// type) or as a run-time value (the generic engine). The same kernel source serves both: with a
// fixed extent every loop bound and stride folds into the instructions; with a run-time one the
// same loops run with bounds read from memory.
#pragma once

#include <concepts>
#include <cstddef>
#include <type_traits>

#include "simd.hpp"

namespace ctnn::codegen {

template <std::size_t V>
using fixed = std::integral_constant<std::size_t, V>;

template <class T>
inline constexpr bool is_fixed = false;
template <std::size_t V>
inline constexpr bool is_fixed<fixed<V>> = true;

// A size known only at run time but never above Max (a training step's rows: at most its batch size),
// so that a kernel can settle at compile time a choice that holds for every size up to Max.
template <std::size_t Max>
struct at_most {
  static constexpr std::size_t max = Max;
  std::size_t value;
  constexpr operator std::size_t() const { return value; }
};

template <class T>
inline constexpr bool is_bounded = false;
template <std::size_t Max>
inline constexpr bool is_bounded<at_most<Max>> = true;

template <class T>
concept Extent = std::same_as<T, std::size_t> || is_fixed<T> || is_bounded<T>;

// padded(n) of an extent, still fixed when n is.
template <Extent E>
constexpr auto padded(E n) {
  if constexpr (is_fixed<E>) return fixed<simd::padded(E::value)>{};
  else return simd::padded(n);
}

// The shape of one dense layer as the kernels see it: In x Out kernel with rows padded to
// `stride` floats, reading inputs whose rows are `input_stride` floats apart.
template <Extent In, Extent Out, Extent InStride>
struct DenseShape {
  In inputs;
  Out outputs;
  InStride input_stride;
  constexpr auto stride() const { return codegen::padded(outputs); }
  constexpr auto padded_inputs() const { return codegen::padded(inputs); }
};
template <Extent In, Extent Out, Extent InStride>
DenseShape(In, Out, InStride) -> DenseShape<In, Out, InStride>;

}  // namespace ctnn::codegen
