// BatchNorm: Keras's BatchNormalization(momentum, epsilon=1e-3) over the features (the last axis):
// of a vector, each feature; of feature maps, each channel, its statistics taken over every pixel.
// In training each feature is normalised with the batch's mean and biased variance, then scaled
// by gamma and shifted by beta (both trained); the moving mean and variance follow the batch's
// (moving = moving * momentum + batch * (1 - momentum)). Inference uses the moving statistics.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>

#include "../codegen/batch_norm.hpp"
#include "../codegen/batch_norm_channels.hpp"
#include "../codegen/inference_kernels.hpp"
#include "../dsl/batch_norm_defaults.hpp"
#include "../dsl/format.hpp"
#include "exported_code.hpp"
#include "pass_helpers.hpp"
#include "protocol.hpp"

namespace ctnn::layers {

struct BatchNorm {
  float momentum = default_batch_norm_momentum;

  static constexpr std::string_view keras_type = "BatchNormalization";

  constexpr Shape output_shape(const Shape& input) const {
    if (!(momentum >= 0.0f && momentum <= 1.0f))
      throw ShapeError("BatchNorm has momentum " + ctnn::detail::format_float(momentum) + "; it must be in [0, 1]");
    return input;
  }
  // gamma, beta, moving mean, moving variance: one row each, one after the other (the kernels
  // read them as rows of one block).
  constexpr Tensors parameters(const Shape& input) const {
    const std::size_t features = input.features();
    return {{"gamma", 1, features, true, {InitializerKind::ones}, {}},
            {"beta", 1, features, true, {InitializerKind::zeros}, {}},
            {"moving_mean", 1, features, false, {InitializerKind::zeros}, {}},
            {"moving_variance", 1, features, false, {InitializerKind::ones}, {}}};
  }
  constexpr ScratchList scratch(const Shape& input) const {
    ScratchList list{{"normalized", simd::padded(input.elements()), 0, Lifetime::kept},     // x_hat
                     {"inverse std", 0, simd::padded(input.features()), Lifetime::kept}};  // 1 / sqrt(variance + epsilon)
    if (input.rank == 3) list.push_back({"channel sums", 0, channel_maps(input, 0).sum_floats(), Lifetime::step});
    return list;
  }
  constexpr LayerTraits traits() const { return {.in_place_inference = true, .in_place_backward = true}; }
  constexpr BackwardSteps backward_steps() const { return {}; }

  std::string spec() const {
    return momentum == default_batch_norm_momentum ? "batchnorm" : "batchnorm=" + ctnn::detail::format_float(momentum);
  }
  constexpr std::string architecture() const { return "batchnorm"; }

  template <class Io>
  void forward_inference(const Io& io) const {
    if (io.output != io.input)
      for (std::size_t r = 0; r < io.rows; ++r) {
        float* row = io.output + r * io.output_stride;
        const std::size_t features = io.input_shape.elements();
        std::copy_n(io.input + r * io.input_stride, features, row);
        std::fill(row + features, row + io.output_stride, 0.0f);
      }
    if (io.input_shape.rank == 3)
      codegen::batch_norm_channels_inference(channel_maps(input_image_shape(io), io.output_stride), io.parameters, batch_norm_epsilon,
                                             io.output, io.rows);
    else
      codegen::batch_norm_rows(io.output_stride, io.parameters, batch_norm_epsilon, io.output, io.rows);
  }
  template <class Io>
  void forward_training(const Io& io) const {
    if (io.input_shape.rank == 3)
      codegen::batch_norm_channels_forward(channel_maps(input_image_shape(io), io.output_stride), io.rows, io.input, io.parameters,
                                           momentum, batch_norm_epsilon, io.scratch[2], io.scratch[0], io.output,
                                           io.scratch[1]);
    else
      codegen::batch_norm_forward(io.output_stride, io.rows, io.input, io.parameters, momentum, batch_norm_epsilon,
                                  io.scratch[0], io.output, io.scratch[1]);
  }
  // In place on the output, the input copied there first when it is elsewhere (the caller's input).
  std::string exported_inference(const Shape& input, const ExportedIo& io) const {
    const std::string features = exported_size(input.features()), row = exported_size(exported_padded(input.features()));
    std::string code = "if (" + io.input + " != " + io.output + ") std::copy_n(" + io.input + ", " +
                       exported_size(input.elements()) + ", " + io.output + ");\n";
    if (input.rank == 3)
      return code + "batch_norm_channels_rows(" + exported_size(input.extents[0] * input.extents[1]) + ", " + features + ", " +
             row + ", " + io.parameters + ", " + exported_float(batch_norm_epsilon) + ", " + io.output + ", 1, " +
             exported_size(input.elements()) + ");\n";
    return code + "batch_norm_rows(std::integral_constant<std::size_t, " + row + ">{}, " + io.parameters + ", " +
           exported_float(batch_norm_epsilon) + ", " + io.output + ", 1);\n";
  }

  // In place: the output's gradient becomes the input's.
  template <class Io>
  void backward(const Io& io) const {
    float* gamma = io.parameters;
    if (io.input_shape.rank == 3) {
      const codegen::ChannelMaps maps = channel_maps(input_image_shape(io), io.output_stride);
      io.with_epilogue([&](const auto& epilogue) {
        codegen::batch_norm_channels_backward(maps, io.rows, io.scratch[0], io.scratch[1], gamma, io.scratch[2], epilogue,
                                              io.output_gradient, io.sink_for(gamma),
                                              io.sink_for(gamma + maps.padded_channels()));
      });
    } else {
      io.with_epilogue([&](const auto& epilogue) {
        codegen::batch_norm_backward(io.output_stride, io.rows, io.scratch[0], io.scratch[1], gamma, epilogue,
                                     io.output_gradient, io.sink_for(gamma), io.sink_for(gamma + io.output_stride));
      });
    }
  }

 private:
  static constexpr codegen::ChannelMaps channel_maps(const Shape& maps, std::size_t stride) {
    return {maps.extents[0] * maps.extents[1], maps.extents[2], stride};
  }
};

}  // namespace ctnn::layers
