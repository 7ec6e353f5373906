// The shape of one sample as a layer reads or writes it: features (rank 1), or height x width x
// channels (rank 3, channels last as Keras stores images). A batch is `rows` samples, each one
// row of padded(elements()) floats (see simd::padded).
#pragma once

#include <array>
#include <cstddef>
#include <string>

#include "../dsl/architecture.hpp"

namespace ctnn {

struct Shape {
  std::array<std::size_t, 3> extents{};
  std::size_t rank = 0;

  constexpr Shape() = default;
  constexpr explicit Shape(std::size_t features) : extents{features, 0, 0}, rank(1) {}
  constexpr Shape(std::size_t height, std::size_t width, std::size_t channels)
      : extents{height, width, channels}, rank(3) {}

  constexpr std::size_t elements() const {
    std::size_t count = rank == 0 ? 0 : 1;
    for (std::size_t d = 0; d < rank; ++d) count *= extents[d];
    return count;
  }
  // The innermost extent: the features of a vector, the channels of an image.
  constexpr std::size_t features() const { return rank == 0 ? 0 : extents[rank - 1]; }

  // "784", "28x28x1": as specs and messages write it.
  constexpr std::string text() const {
    std::string result;
    for (std::size_t d = 0; d < rank; ++d) {
      if (d > 0) result.push_back('x');
      append_decimal(result, extents[d]);
    }
    return result;
  }
  // "(None, 784)", "(None, 28, 28, 1)": as Keras's summary() writes an output shape.
  std::string keras() const {
    std::string result = "(None";
    for (std::size_t d = 0; d < rank; ++d) result.append(", ").append(std::to_string(extents[d]));
    return result + ")";
  }

  constexpr bool operator==(const Shape&) const = default;
};

}  // namespace ctnn
