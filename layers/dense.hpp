// Dense: y = act(x W + b), as Keras's Dense(units, activation, kernel_regularizer,
// kernel_initializer, activity_regularizer=l1(c)). A softmax activation makes it the output layer
// whose probabilities the loss reads.
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>

#include "../codegen/dense_backward.hpp"
#include "../codegen/dense_forward.hpp"
#include "../codegen/extent.hpp"
#include "../dsl/architecture.hpp"
#include "../dsl/format.hpp"
#include "exported_code.hpp"
#include "pass_helpers.hpp"
#include "protocol.hpp"

namespace ctnn::layers {

struct Dense {
  std::size_t units = 0;
  ActivationKind activation = ActivationKind::relu;
  RegularizerSpec regularizer{};
  InitializerSpec initializer{};
  float activity_l1 = 0.0f;  // Keras's activity_regularizer=l1(c) on the outputs (0: none)

  static constexpr std::string_view keras_type = "Dense";

  constexpr Shape output_shape(const Shape& input) const {
    if (units == 0) throw ShapeError("Dense has 0 units");
    if (!(activity_l1 >= 0.0f && activity_l1 <= 3.4e38f))
      throw ShapeError("Dense has an activity_l1 coefficient of " + ctnn::detail::format_float(activity_l1) +
                       "; it must be a number >= 0");
    if (input.rank != 1)
      throw ShapeError("Dense reads a vector of features, not a " + input.text() + " image; put Flatten before it");
    return Shape(units);
  }
  constexpr Tensors parameters(const Shape& input) const {
    return {{"kernel", input.elements(), units, true, initializer, regularizer},
            {"bias", 1, units, true, {InitializerKind::zeros}, {}}};
  }
  constexpr ScratchList scratch(const Shape& input) const {
    // W^T, packed for the input-gradient product.
    return {{"transposed kernel", 0, units * simd::padded(input.elements()), Lifetime::step, true}};
  }
  constexpr Products products(const Shape& input, std::size_t input_stride, std::size_t batch, bool passes_gradient) const {
    const std::size_t inputs = input.elements();
    Products list{codegen::dense_forward_product(inputs, units, batch, activation == ActivationKind::softmax),
                  codegen::kernel_gradient_product(inputs, units, batch, inputs, input_stride)};
    if (passes_gradient) list.push_back(codegen::input_gradient_product(inputs, units, batch));
    return list;
  }
  constexpr LayerTraits traits() const {
    return {.reads_unpadded_input = true,
            .seeded = true,
            .produces_probabilities = activation == ActivationKind::softmax,
            // An activity penalty is a sum over the batch's rows, reported in the loss: it stays whole.
            .shares_work = activity_l1 == 0.0f};
  }
  // The activity penalty's and the activation's derivatives, on the stored outputs. Softmax has
  // none: the loss gives the gradient of its inputs directly.
  constexpr BackwardSteps backward_steps() const {
    BackwardSteps steps;
    if (activation == ActivationKind::softmax) return steps;
    if (activity_l1 > 0.0f) steps.push_back({StepKind::add_l1_sign, {}, activity_l1});
    steps.push_back({StepKind::activation_derivative, {}, 0.0f, activation});
    return steps;
  }

  std::string spec() const {
    std::string text = architecture();
    if (const std::string r = regularizer.spec(); !r.empty()) text.append(":").append(r);
    if (initializer.kind != InitializerKind::glorot_uniform) text.append(":").append(initializer.spec());
    if (activity_l1 > 0.0f) text.append(":activity_l1=").append(ctnn::detail::format_float(activity_l1));
    return text;
  }
  constexpr std::string architecture() const {
    std::string text;
    append_decimal(text, units);
    return text.append(":").append(spec_name(activation));
  }

  template <class Io>
  void forward_inference(const Io& io) const {
    io.with_activation(activation, [&]<class Act>(Act) { forward<Act>(io); });
  }
  std::string exported_inference(const Shape& input, const ExportedIo& io) const {
    const std::string inputs = exported_size(input.elements()), outputs = exported_size(units);
    const std::string row = exported_size(exported_padded(units));
    std::string code = "dense_row<" + inputs + ", " + outputs + ", " + row + ">(" + io.input + ", " + io.parameters + ", " +
                       io.parameters + " + " + inputs + " * " + row + ", " + io.output + ", " +
                       exported_activation(activation) + ");\n";
    if (activation == ActivationKind::softmax)
      code += "softmax_row(std::integral_constant<std::size_t, " + outputs + ">{}, std::integral_constant<std::size_t, padded(" +
              outputs + ")>{}, " + io.output + ");\n";
    return code;
  }
  template <class Io>
  void forward_training(const Io& io) const {
    forward_inference(io);
    if (activity_l1 > 0.0f)
      *io.penalty += codegen::activity_penalty(activity_l1, io.output_shape.elements(), io.output_stride, io.output, io.rows);
  }
  template <class Io>
  void backward(const Io& io) const {
    const auto shape = shape_of(io);
    const float* kernel = io.parameters;
    float* transposed = io.scratch[0];
    // W^T is packed before the kernel's sink may update W: the input gradient needs the old weights.
    if (io.input_gradient) codegen::transpose_kernel(shape, kernel, transposed, io.threads);
    codegen::bias_gradient(shape.stride(), io.output_gradient, io.rows, io.sink_for(bias_of(io)), io.share, io.threads);
    codegen::kernel_gradient(shape, regularizer, io.input, batch_rows(io), io.output_gradient, kernel,
                             io.sink_for(io.parameters), io.threads, io.share);
    if (io.input_gradient)
      io.with_epilogue([&](const auto& epilogue) {
        codegen::input_gradient(shape, io.output_gradient, io.rows, transposed, epilogue, io.input_gradient, io.threads,
                                io.share);
      });
  }

 private:
  template <class Io>
  auto shape_of(const Io& io) const {
    return codegen::DenseShape{io.input_shape.elements(), io.output_shape.elements(), io.input_stride};
  }
  template <class Io>
  float* bias_of(const Io& io) const {
    return io.parameters + io.input_shape.elements() * simd::padded(units);
  }
  template <class Act, class Io>
  void forward(const Io& io) const {
    const auto shape = shape_of(io);
    io.with_rows([&](auto rows) {
      codegen::dense_forward<Act>(shape, io.input, rows, io.parameters, bias_of(io), io.output, io.threads);
    });
  }
};

}  // namespace ctnn::layers
