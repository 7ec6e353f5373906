// Analysis hooks of the Keras notebooks, for either backend and every layer kind: every layer's
// outputs for a batch (hidden activations per class, feature maps), the gradient of an output's
// mean with respect to the input (activation maximisation by gradient ascent), and weights by
// name. Layers are counted as written, from 0 (model.summary()'s rows). Results are plain matrices
// that io::save_npy writes for NumPy.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../codegen/arena.hpp"
#include "../codegen/image_kernels.hpp"
#include "../codegen/matrix_view.hpp"
#include "../codegen/simd.hpp"
#include "../dsl/batch_norm_defaults.hpp"
#include "../dsl/dataset.hpp"
#include "../error.hpp"
#include "../layers/activation.hpp"
#include "../layers/batch_norm.hpp"
#include "../layers/conv2d.hpp"
#include "../layers/dense.hpp"
#include "../layers/dropout.hpp"
#include "../layers/flatten.hpp"
#include "../layers/global_average_pool2d.hpp"
#include "../layers/pooling2d.hpp"
#include "../layers/rescaling.hpp"
#include "../layers/shape.hpp"
#include "backend.hpp"

namespace ctnn {

// A dense row-major matrix of floats that owns its values.
struct Matrix {
  std::size_t rows = 0, cols = 0;
  std::vector<float> values;

  float& operator()(std::size_t row, std::size_t col) { return values[row * cols + col]; }
  float operator()(std::size_t row, std::size_t col) const { return values[row * cols + col]; }
  MatrixView<const float> view() const { return {values.data(), rows, cols, cols}; }
};

// What the analysis hooks need of a backend beyond Backend: its layers (count, output shapes, each
// layer's options by kind, tensors by Keras name) and an inference pass that writes every layer's
// outputs where output_of(i) says. Model<Net> and engine::Network both qualify.
template <class M>
concept AnalysableBackend = Backend<M> && requires(const M& model, std::size_t i, const float* x,
                                                   float* (*output_of)(std::size_t)) {
  { model.layer_count() } -> std::convertible_to<std::size_t>;
  { model.output_shape(i) } -> std::convertible_to<Shape>;
  { model.template layer_as<layers::Dense>(i) } -> std::convertible_to<const layers::Dense*>;
  { model.tensor(i, i) } -> std::convertible_to<MatrixView<const float>>;
  model.forward(x, i, output_of);
};

namespace detail {

inline void check_samples(std::size_t samples_size, std::size_t count, std::size_t inputs, const char* what) {
  if (count == 0) throw Error(std::string(what) + ": no samples given");
  if (samples_size != count * inputs)
    throw Error(std::string(what) + ": " + std::to_string(samples_size) + " values are not " + std::to_string(count) +
                " samples of " + std::to_string(inputs));
}

template <class M>
void check_layer(const M& model, std::size_t layer, const char* what) {
  if (layer >= model.layer_count())
    throw Error(std::string(what) + ": layer " + std::to_string(layer) + " of " + model.describe() + ", which has " +
                std::to_string(model.layer_count()) + " layers (counted from 0)");
}

// d(activation output)/d(its input), from the output a.
inline double activation_slope(ActivationKind kind, double a) {
  switch (kind) {
    case ActivationKind::relu: return a > 0.0 ? 1.0 : 0.0;
    case ActivationKind::sigmoid: return a * (1.0 - a);
    case ActivationKind::tanh: return 1.0 - a * a;
    case ActivationKind::linear:
    case ActivationKind::softmax: break;
  }
  return 1.0;
}

// d_output through an activation to its input, given the activation's outputs a (one sample).
inline std::vector<double> through_activation(ActivationKind kind, const std::vector<double>& d_output, const float* a) {
  std::vector<double> d_pre(d_output.size());
  if (kind == ActivationKind::softmax) {
    double dot = 0.0;
    for (std::size_t o = 0; o < d_output.size(); ++o) dot += d_output[o] * a[o];
    for (std::size_t o = 0; o < d_output.size(); ++o) d_pre[o] = double(a[o]) * (d_output[o] - dot);
  } else {
    for (std::size_t o = 0; o < d_output.size(); ++o) d_pre[o] = d_output[o] * activation_slope(kind, a[o]);
  }
  return d_pre;
}

}  // namespace detail

// The outputs of every layer in inference (no dropout, batch normalisation with the moving
// statistics) for `count` samples (count x inputs, row-major): result[i] is count x (layer i's
// output elements), each row one sample's output channels last (height, width, channels for
// feature maps: numpy's reshape(count, *model.output_shape(i).extents) gives Keras's layout). A
// layer that computes nothing in inference (Dropout, Flatten) gives its input's values.
template <AnalysableBackend M>
std::vector<Matrix> layer_outputs(const M& model, std::span<const float> samples, std::size_t count) {
  detail::check_samples(samples.size(), count, model.input_size(), "layer_outputs");
  const std::size_t layers = model.layer_count();
  std::vector<Matrix> outputs(layers);
  std::vector<Arena> buffers;
  std::vector<bool> written(layers);
  constexpr std::size_t chunk = 128;
  for (std::size_t i = 0; i < layers; ++i) {
    const std::size_t elements = model.output_shape(i).elements();
    outputs[i] = {count, elements, std::vector<float>(count * elements)};
    buffers.emplace_back(chunk * simd::padded(elements) * sizeof(float));
  }
  for (std::size_t first = 0; first < count; first += chunk) {
    const std::size_t rows = std::min(chunk, count - first);
    const float* x = samples.data() + first * model.input_size();
    std::fill(written.begin(), written.end(), false);
    model.forward(x, rows, [&](std::size_t i) {
      written[i] = true;
      return in_arena(buffers[i].data(), 0);
    });
    for (std::size_t i = 0; i < layers; ++i) {
      const std::size_t elements = outputs[i].cols;
      float* to = outputs[i].values.data() + first * elements;
      if (written[i]) {
        const float* y = in_arena(buffers[i].data(), 0);
        for (std::size_t r = 0; r < rows; ++r) std::copy_n(y + r * simd::padded(elements), elements, to + r * elements);
      } else {  // the identity in inference: its input
        std::copy_n(i == 0 ? x : outputs[i - 1].values.data() + first * elements, rows * elements, to);
      }
    }
  }
  return outputs;
}

// The mean output of each of layer `layer`'s values over the samples of each class: classes x
// (the layer's output elements), as the notebooks plot hidden activations per class. Classes with
// no sample get zeros.
template <AnalysableBackend M>
Matrix mean_activation_per_class(const M& model, const DatasetView& data, std::size_t layer) {
  if (data.features != model.input_size())
    throw Error(std::string(data.images_source) + ": samples of " + std::to_string(data.features) +
                " values, but the model reads " + std::to_string(model.input_size()));
  detail::check_layer(model, layer, "mean_activation_per_class");
  const std::size_t classes = model.output_size();
  const std::vector<Matrix> outputs =
      layer_outputs(model, std::span(data.images, data.count * data.features), data.count);
  const Matrix& a = outputs[layer];
  std::vector<double> sums(classes * a.cols, 0.0);
  std::vector<std::size_t> counts(classes, 0);
  for (std::size_t r = 0; r < a.rows; ++r) {
    const std::size_t label = data.labels[r];
    if (label >= classes)
      throw Error(std::string(data.labels_source) + ": label " + std::to_string(label) + " of sample " + std::to_string(r) +
                  " is not one of the model's " + std::to_string(classes) + " classes");
    ++counts[label];
    for (std::size_t u = 0; u < a.cols; ++u) sums[label * a.cols + u] += a(r, u);
  }
  Matrix means{classes, a.cols, std::vector<float>(classes * a.cols, 0.0f)};
  for (std::size_t c = 0; c < classes; ++c)
    for (std::size_t u = 0; u < a.cols; ++u)
      if (counts[c] > 0) means(c, u) = float(sums[c * a.cols + u] / double(counts[c]));
  return means;
}

// d/dx of the mean over the samples of output `unit` of layer `layer` (inference; for feature
// maps, unit = (row * width + column) * channels + channel), for each sample: count x inputs, the
// direction of gradient ascent for activation maximisation (Keras:
// K.gradients(K.mean(layer.output[:, unit]), model.input)). Computed in double from the weights
// and the layers' outputs, layer by layer, independently of the training kernels. With
// `before_activation`, of the unit's value before the activation of `layer` (a Dense or Conv2D):
// the logit of a softmax output, whose probability saturates.
template <AnalysableBackend M>
Matrix activation_gradient(const M& model, std::span<const float> samples, std::size_t count, std::size_t layer,
                           std::size_t unit, bool before_activation = false) {
  detail::check_samples(samples.size(), count, model.input_size(), "activation_gradient");
  if (layer >= model.layer_count() || unit >= model.output_shape(layer).elements())
    throw Error("activation_gradient: layer " + std::to_string(layer) + ", unit " + std::to_string(unit) +
                " is not in the network " + model.describe());
  if (before_activation && !model.template layer_as<layers::Dense>(layer) && !model.template layer_as<layers::Conv2D>(layer))
    throw Error("activation_gradient: layer " + std::to_string(layer) + " (" + std::string(model.keras_type(layer)) +
                ") has no activation of its own to differentiate before");
  const std::vector<Matrix> outputs = layer_outputs(model, samples, count);
  const std::size_t inputs = model.input_size();
  Matrix gradient{count, inputs, std::vector<float>(count * inputs)};
  for (std::size_t r = 0; r < count; ++r) {
    // d(mean)/d(output of `layer`) for this sample: 1/count at the unit.
    std::vector<double> d_output(model.output_shape(layer).elements(), 0.0);
    d_output[unit] = 1.0 / double(count);
    for (std::size_t l = layer + 1; l-- > 0;) {
      const Shape in_shape = l == 0 ? model.input_shape(0) : model.output_shape(l - 1);
      const float* in = l == 0 ? samples.data() + r * inputs : &outputs[l - 1].values[r * outputs[l - 1].cols];
      const float* out = &outputs[l].values[r * outputs[l].cols];
      std::vector<double> d_input(in_shape.elements(), 0.0);
      if (const auto* dense = model.template layer_as<layers::Dense>(l)) {
        const std::vector<double> d_pre =
            l == layer && before_activation ? d_output : detail::through_activation(dense->activation, d_output, out);
        const MatrixView<const float> w = model.tensor(l, 0);
        for (std::size_t i = 0; i < w.rows; ++i)
          for (std::size_t o = 0; o < w.cols; ++o) d_input[i] += d_pre[o] * double(w(i, o));
      } else if (const auto* conv = model.template layer_as<layers::Conv2D>(l)) {
        const std::vector<double> d_pre =
            l == layer && before_activation ? d_output : detail::through_activation(conv->activation, d_output, out);
        const codegen::ConvGeometry g = conv->geometry(in_shape);
        const MatrixView<const float> w = model.tensor(l, 0);  // (kh, kw, c) x filters
        for (std::size_t p = 0; p < g.out_pixels(); ++p)
          for (std::size_t kh = 0; kh < g.kernel_height; ++kh)
            for (std::size_t kw = 0; kw < g.kernel_width; ++kw) {
              const std::size_t pixel = g.input_pixel(p, kh, kw);
              if (pixel == g.in_pixels()) continue;
              for (std::size_t c = 0; c < g.channels; ++c)
                for (std::size_t f = 0; f < g.filters; ++f)
                  d_input[pixel * g.channels + c] +=
                      d_pre[p * g.filters + f] * double(w((kh * g.kernel_width + kw) * g.channels + c, f));
            }
      } else if (model.template layer_as<layers::BatchNorm>(l)) {
        const MatrixView<const float> gamma = model.tensor(l, 0), variance = model.tensor(l, 3);
        const std::size_t features = in_shape.features();
        for (std::size_t i = 0; i < d_input.size(); ++i)
          d_input[i] = d_output[i] * double(gamma(0, i % features)) /
                       std::sqrt(double(variance(0, i % features)) + double(batch_norm_epsilon));
      } else if (const auto* activation = model.template layer_as<layers::Activation>(l)) {
        d_input = detail::through_activation(activation->activation, d_output, out);
      } else if (const auto* rescaling = model.template layer_as<layers::Rescaling>(l)) {
        for (std::size_t i = 0; i < d_input.size(); ++i) d_input[i] = d_output[i] * double(rescaling->scale);
      } else if (const auto* max_pool = model.template layer_as<layers::MaxPool2D>(l)) {
        const codegen::PoolGeometry g = max_pool->geometry(in_shape);
        for (std::size_t p = 0; p < g.out_pixels(); ++p)
          for (std::size_t c = 0; c < g.channels; ++c)
            d_input[codegen::window_argmax(g, in, p, c) * g.channels + c] += d_output[p * g.channels + c];
      } else if (const auto* average_pool = model.template layer_as<layers::AveragePool2D>(l);
                 average_pool || model.template layer_as<layers::GlobalAveragePool2D>(l)) {
        const codegen::PoolGeometry g =
            average_pool ? average_pool->geometry(in_shape) : layers::GlobalAveragePool2D::geometry(in_shape);
        const double window = double(g.pool_height * g.pool_width);
        for (std::size_t p = 0; p < g.out_pixels(); ++p)
          for (std::size_t i = 0; i < g.pool_height; ++i)
            for (std::size_t j = 0; j < g.pool_width; ++j)
              for (std::size_t c = 0; c < g.channels; ++c)
                d_input[(g.window_origin(p) + i * g.in_width + j) * g.channels + c] += d_output[p * g.channels + c] / window;
      } else if (model.template layer_as<layers::Dropout>(l) || model.template layer_as<layers::Flatten>(l)) {
        d_input = d_output;  // the identity in inference
      } else {
        throw Error("activation_gradient: layer " + std::to_string(l) + " (" + std::string(model.keras_type(l)) +
                    ") is of a kind the analysis cannot differentiate");
      }
      d_output = std::move(d_input);
    }
    for (std::size_t i = 0; i < inputs; ++i) gradient(r, i) = float(d_output[i]);
  }
  return gradient;
}

// A weight as a matrix of its own (rows x columns as Model::weight gives it), e.g. for io::save_npy:
// weight_matrix(model, "dense_1/kernel").
template <AnalysableBackend M>
Matrix weight_matrix(const M& model, std::string_view name) {
  const MatrixView<const float> w = model.weight(name);
  Matrix m{w.rows, w.cols, std::vector<float>(w.rows * w.cols)};
  for (std::size_t i = 0; i < w.rows; ++i) std::copy_n(&w(i, 0), w.cols, &m(i, 0));
  return m;
}

}  // namespace ctnn
