// A non-owning view of a row-major matrix whose rows may be padded (stride >= cols).
#pragma once

#include <cstddef>
#include <span>
#include <type_traits>

namespace ctnn {

template <class T>
struct MatrixView {
  T* data = nullptr;
  std::size_t rows = 0, cols = 0, stride = 0;

  T& operator()(std::size_t row, std::size_t col) const { return data[row * stride + col]; }
  std::span<T> row(std::size_t r) const { return {data + r * stride, cols}; }
  std::size_t size() const { return rows * cols; }
  operator MatrixView<const T>() const
    requires(!std::is_const_v<T>)
  {
    return {data, rows, cols, stride};
  }
};

}  // namespace ctnn
