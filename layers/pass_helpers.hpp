// Small pieces the passes of several layer kinds share: an image input's shape as a Shape (the
// io's extents are constants in a Net, values in the engine), the batch's rows with their bound, and
// the fused backward steps of the element-wise layers below, applied as a pass over an input
// gradient a kernel wrote whole.
#pragma once

#include <cstddef>

#include "../codegen/backward_epilogue.hpp"
#include "../codegen/extent.hpp"
#include "shape.hpp"

namespace ctnn::layers {

template <class Io>
constexpr Shape input_image_shape(const Io& io) {
  return Shape(io.input_shape.extents[0], io.input_shape.extents[1], io.input_shape.extents[2]);
}

template <class Io>
constexpr std::size_t max_rows_of() {
  if constexpr (requires { Io::max_rows; }) return Io::max_rows;
  else return 0;
}

// The rows of a training step's batch as an extent: bounded by the step's batch size where the driver
// knows it (a Net's, at compile time; Io::max_rows), so that a kernel whose choice depends on the depth
// of a product over the batch compiles one way only; plain rows otherwise.
template <class Io>
constexpr auto batch_rows(const Io& io) {
  if constexpr (max_rows_of<Io>() > 0) return codegen::at_most<max_rows_of<Io>()>{io.rows};
  else return io.rows;
}

template <class Io>
void apply_steps_below(const Io& io) {
  io.with_epilogue([&](const auto& epilogue) { codegen::apply_backward_steps(epilogue, io.input_stride, io.rows, io.input_gradient); });
}

}  // namespace ctnn::layers
