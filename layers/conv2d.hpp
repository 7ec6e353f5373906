// Conv2D: Keras's Conv2D(filters, (kernel_height, kernel_width), strides, padding, activation,
// kernel_regularizer, kernel_initializer) on channels-last images, y = act(conv(x) + b). The kernel
// is Keras's (height, width, in, out) tensor, stored as rows of (kh, kw, c) by the filters.
#pragma once

#include <cstddef>
#include <iterator>
#include <string>
#include <type_traits>

#include "../codegen/backward_epilogue.hpp"
#include "../codegen/conv2d.hpp"
#include "../codegen/dense_backward.hpp"
#include "../codegen/dense_forward.hpp"
#include "../dsl/architecture.hpp"
#include "../dsl/format.hpp"
#include "exported_code.hpp"
#include "pass_helpers.hpp"
#include "protocol.hpp"

namespace ctnn::layers {

enum class Padding : unsigned char { valid, same };

struct Conv2D {
  std::size_t filters = 0, kernel_height = 3, kernel_width = 3, stride = 1;
  Padding padding = Padding::valid;
  ActivationKind activation = ActivationKind::relu;
  RegularizerSpec regularizer{};
  InitializerSpec initializer{};

  static constexpr std::string_view keras_type = "Conv2D";

  // Where each output pixel reads, as Keras computes it: "valid" uses only whole windows, "same"
  // pads with zeros so that the output has ceil(input / stride) pixels per side, the odd extra
  // row or column of padding at the bottom and right.
  constexpr codegen::ConvGeometry geometry(const Shape& input) const {
    codegen::ConvGeometry g{input.extents[0], input.extents[1], input.extents[2], 0, 0, filters, kernel_height, kernel_width, stride};
    if (padding == Padding::valid) {
      g.out_height = (g.in_height - kernel_height) / stride + 1;
      g.out_width = (g.in_width - kernel_width) / stride + 1;
    } else {
      g.out_height = (g.in_height + stride - 1) / stride;
      g.out_width = (g.in_width + stride - 1) / stride;
      const std::size_t rows_needed = (g.out_height - 1) * stride + kernel_height;
      const std::size_t columns_needed = (g.out_width - 1) * stride + kernel_width;
      g.pad_top = rows_needed > g.in_height ? (rows_needed - g.in_height) / 2 : 0;
      g.pad_left = columns_needed > g.in_width ? (columns_needed - g.in_width) / 2 : 0;
    }
    return g;
  }

  constexpr Shape output_shape(const Shape& input) const {
    if (filters == 0 || kernel_height == 0 || kernel_width == 0 || stride == 0)
      throw ShapeError("Conv2D needs at least one filter, a kernel of at least 1x1 and a stride of at least 1");
    if (activation == ActivationKind::softmax) throw ShapeError("Conv2D takes no softmax activation; put it on the output Dense layer");
    if (input.rank != 3)
      throw ShapeError("Conv2D reads images (height x width x channels), not " + input.text() +
                       " features; start the network with an image input such as 28x28x1");
    if (padding == Padding::valid && (kernel_height > input.extents[0] || kernel_width > input.extents[1]))
      throw ShapeError("Conv2D's kernel (" + std::to_string(kernel_height) + "x" + std::to_string(kernel_width) +
                       ") is larger than its " + input.text() + " input with padding \"valid\"; use a smaller kernel or "
                       "padding \"same\"");
    const codegen::ConvGeometry g = geometry(input);
    return Shape(g.out_height, g.out_width, filters);
  }
  constexpr Tensors parameters(const Shape& input) const {
    Tensor kernel{"kernel", kernel_height * kernel_width * input.features(), filters, true, initializer, regularizer};
    kernel.window_height = kernel_height, kernel.window_width = kernel_width;
    return {kernel, {"bias", 1, filters, true, {InitializerKind::zeros}, {}}};
  }
  // A stride-1 convolution passes its input gradient as a convolution (turned kernel, padded copies
  // of the output gradient); a strided one as a dense product summed back onto the pixels.
  constexpr ScratchList scratch(const Shape& input) const {
    const codegen::ConvGeometry g = geometry(input);
    const std::size_t pixels = g.out_pixels(), taps = g.taps(), padded_filters = simd::padded(filters);
    ScratchList list{{"padded input", codegen::padded_image_floats(g), 0, Lifetime::kept},
                     {"packed columns", 0, codegen::packed_columns_floats(g), Lifetime::step},
                     {"padded output gradient", output_rows_padded() ? 0 : pixels * padded_filters, 0, Lifetime::step}};
    if (stride == 1) {
      list.push_back({"turned kernel", 0, codegen::turned_kernel_floats(g), Lifetime::step, true});
      list.push_back({"padded output gradient images", codegen::padded_image_floats(codegen::input_gradient_geometry(g)), 0,
                      Lifetime::step, true});
    } else {
      list.push_back({"transposed kernel", 0, filters * simd::padded(taps), Lifetime::step, true});
      list.push_back({"column gradient", pixels * simd::padded(taps), 0, Lifetime::step, true});
    }
    list.push_back({"kernel gradient running sums", 0, taps * padded_filters, Lifetime::step});
    return list;
  }
  // The input gradient's product of a strided convolution is followed by col2im, which is not one.
  constexpr Products products(const Shape& input, std::size_t, std::size_t batch, bool passes_gradient) const {
    const codegen::ConvGeometry g = geometry(input);
    Products list{codegen::direct_convolution_product("forward", g, batch),
                  codegen::conv2d_kernel_gradient_product(g, batch, 0, g.taps())};
    if (passes_gradient)
      list.push_back(stride == 1 ? codegen::direct_convolution_product("input gradient", codegen::input_gradient_geometry(g), batch)
                                 : codegen::input_gradient_product(g.taps(), filters, batch * g.out_pixels()));
    return list;
  }
  constexpr LayerTraits traits() const { return {.seeded = true, .shares_work = true}; }
  // The activation's derivative, on the stored outputs (applied by the layer above).
  constexpr BackwardSteps backward_steps() const { return {{StepKind::activation_derivative, {}, 0.0f, activation}}; }

  std::string spec() const {
    std::string text = "conv=" + architecture_value();
    if (const std::string r = regularizer.spec(); !r.empty()) text.append(":").append(r);
    if (initializer.kind != InitializerKind::glorot_uniform) text.append(":").append(initializer.spec());
    return text;
  }
  constexpr std::string architecture() const { return "conv=" + architecture_value(); }

  // Inference has no scratch: the tiles that touch the padding test each tap for it instead.
  template <class Io>
  void forward_inference(const Io& io, float* padded_images = nullptr) const {
    const codegen::ConvGeometry g = geometry(input_image_shape(io));
    io.with_activation(activation, [&]<class Act>(Act) {
      if constexpr (!std::is_same_v<Act, ctnn::detail::SoftmaxActivation>)
        codegen::conv2d_forward<Act>(g, io.input, io.rows, io.input_stride, io.parameters, bias_of(io, g), io.output,
                                     io.output_stride, io.threads, padded_images);
    });
  }
  template <class Io>
  void forward_training(const Io& io) const {
    forward_inference(io, io.scratch[0]);
  }
  std::string exported_inference(const Shape& input, const ExportedIo& io) const {
    const codegen::ConvGeometry g = geometry(input);
    std::string code = "constexpr ConvGeometry geometry{";
    const std::size_t fields[] = {g.in_height,    g.in_width,     g.channels, g.out_height, g.out_width, g.filters,
                                  g.kernel_height, g.kernel_width, g.stride,   g.pad_top,    g.pad_left};
    for (std::size_t f = 0; f < std::size(fields); ++f) code.append(f ? ", " : "").append(exported_size(fields[f]));
    const std::string row = exported_size(exported_padded(filters));
    return code + "};\nconv_image(geometry, " + row + ", " + io.input + ", " + io.parameters + ", " + io.parameters + " + " +
           exported_size(g.taps()) + " * " + row + ", " + io.output + ", " + exported_activation(activation) + ");\n";
  }
  // dW = columns^T dZ on the batch's im2col, packed a block at a time, and db = the sums of dZ; the
  // input gradient as scratch() says. Shared by processes, each computes its taps of dW and its
  // samples of the input gradient (io.share).
  template <class Io>
  void backward(const Io& io) const {
    const codegen::ConvGeometry g = geometry(input_image_shape(io));
    const std::size_t pixels = g.out_pixels(), rows = io.rows * pixels;
    float *padded_input = io.scratch[0], *panels = io.scratch[1], *padded_gradient = io.scratch[2], *gradient_kernel = io.scratch[3],
          *gradient_images = io.scratch[4], *running_sums = io.scratch[5];
    const codegen::DenseShape shape{g.taps(), filters, g.taps()};
    if (io.input_gradient) {  // before the sink updates W
      if (stride == 1) codegen::turn_kernel(g, io.parameters, gradient_kernel);
      else codegen::transpose_kernel(shape, io.parameters, gradient_kernel, io.threads);
    }
    if (output_rows_padded()) padded_gradient = io.output_gradient;
    else codegen::pad_pixels(io.output_gradient, io.rows, io.output_stride, pixels, filters, padded_gradient, io.threads);
    codegen::bias_gradient(shape.stride(), padded_gradient, rows, io.sink_for(bias_of(io, g)), io.share, io.threads);
    const bool padded = g.reads_padding();  // forward kept the padded copies
    if (padded && !io.share.whole())  // of this process's samples only: dW reads every sample's
      for (std::size_t s = 0; s < io.rows; ++s)
        codegen::pad_image(g, io.input + s * io.input_stride, padded_input + s * codegen::padded_image_floats(g));
    codegen::conv2d_kernel_gradient(g, regularizer, padded ? padded_input : io.input,
                                    padded ? codegen::padded_image_floats(g) : std::size_t(io.input_stride), io.rows,
                                    padded_gradient, io.parameters, panels, running_sums, io.sink_for(io.parameters),
                                    io.threads, io.share);
    if (!io.input_gradient) return;
    if (stride == 1) {
      io.with_epilogue([&](const auto& steps_below) {
        codegen::conv2d_input_gradient(g, io.output_gradient, io.rows, io.output_stride, gradient_kernel, gradient_images,
                                       io.input_gradient, io.input_stride, steps_below, io.threads, io.share);
      });
      return;
    }
    const IndexRange mine = io.share.rows(io.rows);
    codegen::input_gradient(shape, padded_gradient + mine.begin * pixels * shape.stride(), mine.size() * pixels,
                            gradient_kernel, codegen::NoBackwardSteps{}, gradient_images, io.threads);
    codegen::col2im(g, gradient_images, shape.padded_inputs(), mine.size(), io.input_gradient + mine.begin * io.input_stride,
                    io.input_stride, io.threads);
    io.with_epilogue([&](const auto& steps_below) {
      codegen::apply_backward_steps(steps_below, io.input_gradient, mine.begin * io.input_stride, mine.end * io.input_stride);
    });
  }

 private:
  // Whether dZ's pixels are already rows of padded(filters) floats (the products read it so).
  constexpr bool output_rows_padded() const { return filters % simd::lanes == 0; }
  // "32x3x3:relu:same", and ":stride=2" when the stride is not 1.
  constexpr std::string architecture_value() const {
    std::string text;
    append_decimal(text, filters);
    text.append("x");
    append_decimal(text, kernel_height);
    text.append("x");
    append_decimal(text, kernel_width);
    text.append(":").append(spec_name(activation)).append(padding == Padding::same ? ":same" : ":valid");
    if (stride != 1) {
      text.append(":stride=");
      append_decimal(text, stride);
    }
    return text;
  }
  template <class Io>
  static float* bias_of(const Io& io, const codegen::ConvGeometry& g) {
    return io.parameters + g.taps() * simd::padded(g.filters);
  }
};

}  // namespace ctnn::layers
