// Activation: Keras's Activation(act) as a layer of its own, so that a Dense layer without one
// can be followed by BatchNorm and then the activation: Dense(linear) -> BatchNorm -> Activation(relu).
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <type_traits>

#include "../codegen/activation_kernels.hpp"
#include "../codegen/image_kernels.hpp"
#include "exported_code.hpp"
#include "protocol.hpp"

namespace ctnn::layers {

struct Activation {
  ActivationKind activation = ActivationKind::relu;

  static constexpr std::string_view keras_type = "Activation";

  constexpr Shape output_shape(const Shape& input) const {
    if (activation == ActivationKind::softmax)
      throw ShapeError("a softmax Activation layer is not supported; make the output layer a softmax Dense (\"10:softmax\")");
    return input;
  }
  constexpr Tensors parameters(const Shape&) const { return {}; }
  constexpr ScratchList scratch(const Shape&) const { return {}; }
  constexpr LayerTraits traits() const { return {.elementwise_backward = true}; }
  constexpr BackwardSteps backward_steps() const { return {{StepKind::activation_derivative, {}, 0.0f, activation}}; }

  std::string spec() const { return std::string(spec_name(activation)); }
  constexpr std::string architecture() const { return std::string(spec_name(activation)); }

  template <class Io>
  void forward_inference(const Io& io) const {
    io.with_activation(activation, [&]<class Act>(Act) {
      if constexpr (!std::is_same_v<Act, ctnn::detail::SoftmaxActivation>) {
        const std::size_t features = io.input_shape.elements();
        for (std::size_t r = 0; r < io.rows; ++r) {
          float* out = io.output + r * io.output_stride;
          codegen::activation_row(io.input + r * io.input_stride, features, out,
                                  [](simd::floats z) { return codegen::activation_kernel<Act>::forward(z); });
          std::fill(out + features, out + io.output_stride, 0.0f);
        }
      }
    });
  }
  template <class Io>
  void forward_training(const Io& io) const {
    forward_inference(io);
  }
  std::string exported_inference(const Shape& input, const ExportedIo& io) const {
    return "activation_row(" + io.input + ", " + exported_size(input.elements()) + ", " + io.output + ", " +
           exported_activation(activation) + ");\n";
  }
};

}  // namespace ctnn::layers
