// Small pieces the passes of several layer kinds share: an image input's shape as a Shape (the
// io's extents are constants in a Net, values in the engine), and the fused backward steps of the
// element-wise layers below, applied as a pass over an input gradient a kernel wrote whole.
#pragma once

#include "../codegen/backward_epilogue.hpp"
#include "shape.hpp"

namespace ctnn::layers {

template <class Io>
constexpr Shape input_image_shape(const Io& io) {
  return Shape(io.input_shape.extents[0], io.input_shape.extents[1], io.input_shape.extents[2]);
}

template <class Io>
void apply_steps_below(const Io& io) {
  io.with_epilogue([&](const auto& epilogue) { codegen::apply_backward_steps(epilogue, io.input_stride, io.rows, io.input_gradient); });
}

}  // namespace ctnn::layers
