// Analysis hooks of the Keras notebooks, for either backend: every layer's outputs for a batch
// (hidden activations per class), the gradient of a unit's mean activation with respect to the
// input (activation maximisation by gradient ascent), and the weights per layer. Results are
// plain matrices that io::save_npy writes for NumPy.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../codegen/arena.hpp"
#include "../codegen/batch_norm_parameters.hpp"
#include "../codegen/matrix_view.hpp"
#include "../codegen/simd.hpp"
#include "../dsl/batch_norm_defaults.hpp"
#include "../error.hpp"
#include "../dsl/dataset.hpp"
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

// What the analysis hooks need of a backend beyond Backend: the layer count, each layer's kernel
// (its cols are the layer's outputs), activation and bias, and an inference forward pass that
// writes each layer's outputs where output_of(l) says.
template <class M>
concept AnalysableBackend = Backend<M> && requires(const M& model, std::size_t l) {
  { model.depth() } -> std::convertible_to<std::size_t>;
  { model.kernel(l) } -> std::convertible_to<MatrixView<const float>>;
  { model.activation_name(l) } -> std::convertible_to<std::string_view>;
  { model.batch_norm(l) } -> std::convertible_to<BatchNormParameters<const float>>;
};

namespace detail {

inline void check_samples(std::size_t samples_size, std::size_t count, std::size_t inputs, const char* what) {
  if (count == 0) throw Error(std::string(what) + ": no samples given");
  if (samples_size != count * inputs)
    throw Error(std::string(what) + ": " + std::to_string(samples_size) + " values are not " + std::to_string(count) +
                " samples of " + std::to_string(inputs));
}

}  // namespace detail

// The outputs of every layer (inference: no dropout, batch normalisation with the moving statistics) for `count` samples (count x inputs, row-major):
// result[l] is count x (layer l's outputs).
template <AnalysableBackend M>
std::vector<Matrix> layer_outputs(const M& model, std::span<const float> samples, std::size_t count) {
  detail::check_samples(samples.size(), count, model.input_size(), "layer_outputs");
  const std::size_t depth = model.depth();
  std::vector<Matrix> outputs(depth);
  std::vector<Arena> buffers;
  std::vector<std::size_t> strides(depth);
  constexpr std::size_t chunk = 128;
  for (std::size_t l = 0; l < depth; ++l) {
    const MatrixView<const float> kernel = model.kernel(l);
    outputs[l] = {count, kernel.cols, std::vector<float>(count * kernel.cols)};
    strides[l] = kernel.stride;
    buffers.emplace_back(chunk * kernel.stride * sizeof(float));
  }
  for (std::size_t first = 0; first < count; first += chunk) {
    const std::size_t rows = std::min(chunk, count - first);
    model.forward(samples.data() + first * model.input_size(), rows,
                  [&](auto l) { return in_arena(buffers[std::size_t(l)].data(), 0); });
    for (std::size_t l = 0; l < depth; ++l) {
      const float* y = in_arena(buffers[l].data(), 0);
      for (std::size_t r = 0; r < rows; ++r)
        std::copy_n(y + r * strides[l], outputs[l].cols, outputs[l].values.data() + (first + r) * outputs[l].cols);
    }
  }
  return outputs;
}

// The mean output of each of layer l's units over the samples of each class: classes x units,
// as the notebooks plot hidden activations per class. Classes with no sample get zeros.
template <AnalysableBackend M>
Matrix mean_activation_per_class(const M& model, const DatasetView& data, std::size_t layer) {
  if (data.features != model.input_size())
    throw Error(std::string(data.images_source) + ": samples of " + std::to_string(data.features) +
                " values, but the model reads " + std::to_string(model.input_size()));
  if (layer >= model.depth())
    throw Error("mean_activation_per_class: layer " + std::to_string(layer) + " of a network of " +
                std::to_string(model.depth()) + " layers");
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

// d/dx of the mean over the samples of unit `unit` of layer `layer` (inference), for each sample:
// count x inputs, the direction of gradient ascent for activation maximisation (Keras:
// K.gradients(K.mean(layer.output[:, unit]), model.input)). Computed in double from the weights,
// independently of the training kernels.
template <AnalysableBackend M>
Matrix activation_gradient(const M& model, std::span<const float> samples, std::size_t count, std::size_t layer,
                           std::size_t unit) {
  detail::check_samples(samples.size(), count, model.input_size(), "activation_gradient");
  if (layer >= model.depth() || unit >= model.kernel(layer).cols)
    throw Error("activation_gradient: layer " + std::to_string(layer) + ", unit " + std::to_string(unit) +
                " is not in the network " + model.describe());
  const std::vector<Matrix> outputs = layer_outputs(model, samples, count);
  const std::size_t inputs = model.input_size();
  Matrix gradient{count, inputs, std::vector<float>(count * inputs)};
  for (std::size_t r = 0; r < count; ++r) {
    // d(mean)/d(output of `layer`) for this sample: 1/count at the unit.
    std::vector<double> d_output(model.kernel(layer).cols, 0.0);
    d_output[unit] = 1.0 / double(count);
    for (std::size_t l = layer + 1; l-- > 0;) {
      const MatrixView<const float> w = model.kernel(l);
      const std::string_view act = model.activation_name(l);
      // The activation's outputs: the layer's outputs, or, under batch normalisation
      // (y = gamma * (a - mean) / sqrt(variance + epsilon) + beta), recomputed from its inputs.
      std::vector<double> a(w.cols);
      const BatchNormParameters<const float> norm = model.batch_norm(l);
      for (std::size_t o = 0; o < w.cols; ++o) a[o] = outputs[l](r, o);
      if (norm)
        for (std::size_t o = 0; o < w.cols; ++o) {
          double z = model.bias(l)[o];
          for (std::size_t i = 0; i < w.rows; ++i)
            z += double(w(i, o)) * (l == 0 ? double(samples[r * inputs + i]) : double(outputs[l - 1](r, i)));
          a[o] = act == "relu" ? std::max(z, 0.0) : act == "sigmoid" ? 1.0 / (1.0 + std::exp(-z)) : act == "tanh" ? std::tanh(z) : z;
          d_output[o] *= double(norm.gamma()[o]) / std::sqrt(double(norm.moving_variance()[o]) + double(batch_norm_epsilon));
        }
      std::vector<double> d_pre(w.cols);  // through the activation, from its output
      if (act == "softmax") {
        double dot = 0.0;
        for (std::size_t o = 0; o < w.cols; ++o) dot += d_output[o] * outputs[l](r, o);
        for (std::size_t o = 0; o < w.cols; ++o) d_pre[o] = outputs[l](r, o) * (d_output[o] - dot);
      } else {
        for (std::size_t o = 0; o < w.cols; ++o) {
          const double slope = act == "relu" ? (a[o] > 0.0 ? 1.0 : 0.0)
                               : act == "sigmoid" ? a[o] * (1.0 - a[o])
                               : act == "tanh"    ? 1.0 - a[o] * a[o]
                                                  : 1.0;
          d_pre[o] = d_output[o] * slope;
        }
      }
      std::vector<double> d_input(w.rows, 0.0);  // d_pre W^T
      for (std::size_t i = 0; i < w.rows; ++i)
        for (std::size_t o = 0; o < w.cols; ++o) d_input[i] += d_pre[o] * double(w(i, o));
      d_output = std::move(d_input);
    }
    for (std::size_t i = 0; i < inputs; ++i) gradient(r, i) = float(d_output[i]);
  }
  return gradient;
}

// Layer l's kernel (inputs x outputs) and bias (1 x outputs) as matrices, e.g. for io::save_npy.
template <AnalysableBackend M>
Matrix kernel_matrix(const M& model, std::size_t l) {
  const MatrixView<const float> w = model.kernel(l);
  Matrix m{w.rows, w.cols, std::vector<float>(w.rows * w.cols)};
  for (std::size_t i = 0; i < w.rows; ++i) std::copy_n(&w(i, 0), w.cols, &m(i, 0));
  return m;
}
template <AnalysableBackend M>
Matrix bias_matrix(const M& model, std::size_t l) {
  const auto b = model.bias(l);
  return {1, b.size(), std::vector<float>(b.begin(), b.end())};
}

}  // namespace ctnn
