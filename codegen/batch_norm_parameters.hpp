// A view of one layer's batch-normalisation parameters, in Keras's order: gamma, beta, moving mean,
// moving variance, each a row of `stride` floats (padding zero) in one block.
#pragma once

#include <cstddef>
#include <span>
#include <type_traits>

namespace ctnn {

template <class T>
struct BatchNormParameters {
  T* data = nullptr;  // null: the layer has no batch normalisation
  std::size_t units = 0, stride = 0;

  static constexpr std::size_t rows = 4;
  explicit operator bool() const { return data != nullptr; }
  std::span<T> row(std::size_t r) const { return {data + r * stride, units}; }
  std::span<T> gamma() const { return row(0); }
  std::span<T> beta() const { return row(1); }
  std::span<T> moving_mean() const { return row(2); }
  std::span<T> moving_variance() const { return row(3); }
  std::size_t size() const { return data ? rows * units : 0; }

  operator BatchNormParameters<const T>() const
    requires(!std::is_const_v<T>)
  {
    return {data, units, stride};
  }
};

// gamma = 1, beta = 0, moving mean = 0, moving variance = 1 (Keras's initialisers), padding zero.
inline void reset_batch_norm(const BatchNormParameters<float>& parameters) {
  if (!parameters) return;
  for (std::size_t i = 0; i < BatchNormParameters<float>::rows * parameters.stride; ++i) parameters.data[i] = 0.0f;
  for (float& gamma : parameters.gamma()) gamma = 1.0f;
  for (float& variance : parameters.moving_variance()) variance = 1.0f;
}

}  // namespace ctnn
