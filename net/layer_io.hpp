// What the Net driver hands a layer kind's passes: the same members as the engine's LayerIo
// (engine/layer_node.hpp), with every size a compile-time constant (codegen::fixed) and the
// layer's activation and fused backward steps known as types, so that the one source of each
// layer kind compiles into code for exactly this layer.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "../codegen/extent.hpp"
#include "../codegen/process_share.hpp"
#include "../dsl/run_time_options.hpp"
#include "net.hpp"

namespace ctnn::net {

// A shape known at compile time, answering as Shape does with fixed extents.
template <Shape S>
struct ConstantShape {
  static constexpr std::array<std::size_t, 3> extents = S.extents;
  static constexpr std::size_t rank = S.rank;
  static constexpr auto elements() { return codegen::fixed<S.elements()>{}; }
  static constexpr auto features() { return codegen::fixed<S.features()>{}; }
  static std::string text() { return S.text(); }
};

// Layer I of Net N, reading rows of type Rows (std::size_t, or fixed<1> for one sample known as such),
// at most MaxRows of them where the driver knows a bound (a training step's batch size; 0: none).
template <NetType N, std::size_t I, class Rows, std::size_t InputStride, std::size_t MaxRows = 0>
struct LayerIo {
  static constexpr const auto& layer = std::get<I>(N::kinds);
  static constexpr std::size_t max_rows = MaxRows;

  Rows rows{};
  std::size_t threads = 1;
  static constexpr ConstantShape<N::input_shape_of(I)> input_shape{};
  static constexpr ConstantShape<N::output_shapes[I]> output_shape{};
  static constexpr codegen::fixed<InputStride> input_stride{};
  static constexpr codegen::fixed<N::output_stride(I)> output_stride{};
  const float* input = nullptr;
  float* output = nullptr;
  float* parameters = nullptr;
  float* const* scratch = nullptr;
  // Training only.
  double* penalty = nullptr;
  std::uint64_t seed = 0, step = 0;
  std::size_t random_stream = 0;
  ProcessShare share{};  // this process's part of a layer that shares work

  template <class F>
  void with_rows(F&& f) const {
    f(rows);
  }
  // f(Act{}) for the layer's activation, a constant here: no other activation is compiled.
  template <class F>
  decltype(auto) with_activation(ActivationKind, F&& f) const {
    return std::forward<F>(f)(activation_type<layer.activation>{});
  }
};

// The same, with what a backward pass adds: the gradients of the layer's output and input, where
// each finished gradient vector of its parameters goes, and the backward steps of the layers
// below, fused (Epilogue: a codegen::BackwardEpilogue).
template <class Io, class SinkFor, class Epilogue>
struct BackwardIo : Io {
  float* output_gradient = nullptr;  // rows x output_stride
  float* input_gradient = nullptr;   // rows x input_stride; null when nothing below needs it
  Epilogue epilogue{};
  SinkFor sink_for_fn;

  auto sink_for(float* parameter) const { return sink_for_fn(parameter); }
  template <class F>
  void with_epilogue(F&& f) const {
    f(epilogue);
  }
};

}  // namespace ctnn::net
