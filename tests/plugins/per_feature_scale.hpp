// A layer kind defined outside ctnn's folders, as a user would write one: y = x * scale, with one
// learnable scale per feature (starting at 1). Nothing in ctnn names it; both backends run it
// through the layer protocol (layers/protocol.hpp): the engine as a value, a Net as
// ctnn::Layer<plugin::PerFeatureScale{}>.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

#include <ctnn/layers/protocol.hpp>

namespace plugin {

struct PerFeatureScale {
  static constexpr std::string_view keras_type = "PerFeatureScale";

  constexpr ctnn::Shape output_shape(const ctnn::Shape& input) const { return input; }
  constexpr ctnn::layers::Tensors parameters(const ctnn::Shape& input) const {
    return {{"scale", 1, input.features(), true, {ctnn::InitializerKind::ones}, {}}};
  }
  constexpr ctnn::layers::ScratchList scratch(const ctnn::Shape&) const { return {}; }
  constexpr ctnn::layers::LayerTraits traits() const { return {.in_place_inference = true}; }
  constexpr ctnn::layers::BackwardSteps backward_steps() const { return {}; }
  std::string spec() const { return "scale"; }
  constexpr std::string architecture() const { return "scale"; }

  template <class Io>
  void forward_inference(const Io& io) const {
    const std::size_t features = io.input_shape.elements();
    for (std::size_t r = 0; r < io.rows; ++r) {
      const float* x = io.input + r * io.input_stride;
      float* y = io.output + r * io.output_stride;
      for (std::size_t c = 0; c < features; ++c) y[c] = x[c] * io.parameters[c];
      std::fill(y + features, y + io.output_stride, 0.0f);
    }
  }
  template <class Io>
  void forward_training(const Io& io) const {
    forward_inference(io);
  }
  // dx = dy * scale (before the sink may update the scale), dscale = sum over the batch of dy * x.
  template <class Io>
  void backward(const Io& io) const {
    using ctnn::simd::floats;
    const std::size_t stride = io.output_stride;
    if (io.input_gradient)
      io.with_epilogue([&](const auto& epilogue) {
        for (std::size_t r = 0; r < io.rows; ++r)
          for (std::size_t c = 0; c < stride; c += ctnn::simd::lanes) {
            const std::size_t at = r * stride + c;
            const floats dx = floats::load_aligned(io.output_gradient + at) * floats::load_aligned(io.parameters + c);
            epilogue(at, dx).store_aligned(io.input_gradient + at);
          }
      });
    auto sink = io.sink_for(io.parameters);
    for (std::size_t c = 0; c < stride; c += ctnn::simd::lanes) {
      floats sum(0.0f);
      for (std::size_t r = 0; r < io.rows; ++r)
        sum += floats::load_aligned(io.output_gradient + r * stride + c) * floats::load_aligned(io.input + r * io.input_stride + c);
      sink(c, sum);
    }
  }
};

}  // namespace plugin
