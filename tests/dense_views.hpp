// An MLP's weights by dense layer, as the double-precision reference (reference_mlp.hpp) numbers
// them: dense layer l is the l-th Dense of the model, its BatchNorm the layer right after it, its
// Dropout the first one before the next Dense. The library itself knows no such numbering (weights
// are tensors of layers, Model::tensor(i, k), or Keras names, Model::weight); tests that compare a
// whole MLP with its reference read better with it. Works on Model<Net> and engine::Network alike,
// and on their training steps.
#pragma once

#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace testing {

// One BatchNorm's parameters (or their gradients), in Keras's order: gamma, beta, moving mean,
// moving variance; data is null when the dense layer has no BatchNorm after it.
template <class T>
struct BatchNormView {
  T* data = nullptr;
  std::size_t units = 0, stride = 0;

  static constexpr std::size_t rows = 4;
  explicit operator bool() const { return data != nullptr; }
  std::span<T> row(std::size_t r) const { return {data + r * stride, units}; }
  std::span<T> gamma() const { return row(0); }
  std::span<T> beta() const { return row(1); }
  std::span<T> moving_mean() const { return row(2); }
  std::span<T> moving_variance() const { return row(3); }
};

// The layer index of every Dense.
template <class M>
std::vector<std::size_t> dense_layers(const M& model) {
  std::vector<std::size_t> found;
  for (std::size_t i = 0; i < model.layer_count(); ++i)
    if (model.keras_type(i) == "Dense") found.push_back(i);
  return found;
}

template <class M>
std::size_t depth(const M& model) {
  return dense_layers(model).size();
}

template <class M>
auto kernel(M& model, std::size_t l) {
  return model.tensor(dense_layers(model).at(l), 0);
}

template <class M>
auto bias(M& model, std::size_t l) {
  return model.tensor(dense_layers(model).at(l), 1).row(0);
}

namespace detail {
// The BatchNorm right after dense layer l, read through `tensor(i, k)` (weights or gradients).
template <class M, class Tensor>
auto batch_norm_after(const M& model, std::size_t l, const Tensor& tensor) {
  using T = std::remove_pointer_t<decltype(tensor(std::size_t{}, std::size_t{}).data)>;
  const std::size_t i = dense_layers(model).at(l) + 1;
  if (i >= model.layer_count() || model.keras_type(i) != "BatchNormalization") return BatchNormView<T>{};
  const auto gamma = tensor(i, 0), beta = tensor(i, 1);
  return BatchNormView<T>{gamma.data, gamma.cols, std::size_t(beta.data - gamma.data)};
}
}  // namespace detail

template <class M>
auto batch_norm(M& model, std::size_t l) {
  return detail::batch_norm_after(model, l, [&](std::size_t i, std::size_t k) { return model.tensor(i, k); });
}

// --- A training step of `model`: the gradients and kept buffers of the last step, by dense layer.
template <class Step, class M>
auto kernel_gradient(Step& step, const M& model, std::size_t l) {
  return step.tensor_gradient(dense_layers(model).at(l), 0);
}

template <class Step, class M>
auto bias_gradient(Step& step, const M& model, std::size_t l) {
  return step.tensor_gradient(dense_layers(model).at(l), 1).row(0);
}

// Gamma's and beta's gradients (the moving statistics have none: their rows are zero).
template <class Step, class M>
auto batch_norm_gradient(Step& step, const M& model, std::size_t l) {
  const auto gradients = detail::batch_norm_after(model, l, [&](std::size_t i, std::size_t k) { return step.tensor_gradient(i, k); });
  if (!gradients) throw std::logic_error("dense layer " + std::to_string(l) + " has no BatchNorm after it");
  return gradients;
}

// Dense layer l's outputs (before its BatchNorm and Dropout).
template <class Step, class M>
auto layer_output(Step& step, const M& model, std::size_t l, std::size_t rows) {
  return step.output(dense_layers(model).at(l), rows);
}

// The index of the Dropout after dense layer l (before the next Dense), or 0 when there is none.
template <class M>
std::size_t dropout_after(const M& model, std::size_t l) {
  for (std::size_t i = dense_layers(model).at(l) + 1; i < model.layer_count() && model.keras_type(i) != "Dense"; ++i)
    if (model.keras_type(i) == "Dropout") return i;
  return 0;
}

// The mask (0 or 1 / keep rate per element) of the Dropout after dense layer l in the last step.
template <class Step, class M>
auto dropout_mask(Step& step, const M& model, std::size_t l, std::size_t rows) {
  const std::size_t i = dropout_after(model, l);
  if (i == 0) throw std::logic_error("dense layer " + std::to_string(l) + " has no Dropout after it");
  auto mask = step.output(i, rows);
  mask.data = step.scratch(i, 0);
  return mask;
}

}  // namespace testing
