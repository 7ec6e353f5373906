// The layer protocol: what one layer kind says about itself, once, for every part of ctnn that
// handles layers (the drivers of both backends, the memory plan, initialisation, summary(),
// parameter counts, files). A layer kind is a small class holding its options as values
// (layers::Dense{.units = 400, .activation = ActivationKind::relu}), with:
//
//   keras_type                       Keras's class name, for summary() and .npz names
//   output_shape(input)              the shape it writes; throws ShapeError when it cannot read `input`
//   parameters(input)                its tensors (Keras's names, shapes, trainable, initialiser, regulariser)
//   scratch(input)                   the buffers its training forward pass fills for backward, or that one step uses
//   traits()                         what the drivers may do around it (LayerTraits)
//   backward_steps()                 its element-wise backward steps (fused into the layer above's kernel)
//   forward_inference(io)            templates on the io, whose extents are compile-time constants in a
//   forward_training(io)             Net and run-time values in the engine: one source for both
//   backward(io)                     (not for element-wise layers: their backward is their steps)
//   spec()                           its token in a run-time spec ("400:relu", "batchnorm", "dropout=0.5")
//   architecture()                   the part of the token that changes what a trained model computes
//   exported_inference(input, io)    the C++ statements of its inference in an exported header
//                                    (layers/exported_code.hpp); kinds that are the identity in
//                                    inference need none, and a kind without it cannot be exported
//   products(input, input_stride,    the matrix products its training step runs at mini-batch size
//            batch, passes)          `batch`, its input's rows input_stride floats apart (passes:
//                                    whether it computes its input's gradient), as its kernels run
//                                    them (codegen/product_plan.hpp); kinds without products need none
//
// Everything but the passes and spec() is constexpr: a Net asks it in constant evaluation.
//
// Parameters of one layer are stored one after the other, each tensor as rows x padded(columns)
// floats, and each layer's block starts on a 64-byte boundary; gradients and optimiser state repeat
// that layout.
#pragma once

#include <array>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

#include "../codegen/product_plan.hpp"
#include "../codegen/simd.hpp"
#include "../dsl/run_time_options.hpp"
#include "../error.hpp"
#include "shape.hpp"

namespace ctnn::layers {

// A list of at most Capacity values, usable in constant expressions.
template <class T, std::size_t Capacity>
struct FixedList {
  std::array<T, Capacity> items{};
  std::size_t count = 0;

  constexpr FixedList() = default;
  constexpr FixedList(std::initializer_list<T> values) {
    for (const T& value : values) push_back(value);
  }
  constexpr void push_back(const T& value) {
    // In a Net, a compile error; in the engine, an Error (e.g. more element-wise layers in a row than
    // layers::max_chained_steps).
    if (count == Capacity)
      throw Error("ctnn: a layer list holds at most " + std::to_string(Capacity) + " items (tensors, scratch buffers or "
                  "backward steps); this one needs more");
    items[count++] = value;
  }
  constexpr std::size_t size() const { return count; }
  constexpr bool empty() const { return count == 0; }
  constexpr const T& operator[](std::size_t i) const { return items[i]; }
  constexpr const T* begin() const { return items.data(); }
  constexpr const T* end() const { return items.data() + count; }
};

// One parameter tensor, as Keras lists it in layer.weights: a kernel is rows = fan-in inputs by
// columns = units; a vector (bias, gamma, ...) is one row.
struct Tensor {
  std::string_view name;  // "kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance"
  std::size_t rows = 1, columns = 0;
  bool trainable = true;
  InitializerSpec initializer{InitializerKind::zeros};
  RegularizerSpec regularizer{};
  // A convolution's kernel: rows are window_height x window_width x input channels, Keras's
  // (height, width, in, out) kernel flattened. 0 for every other tensor.
  std::size_t window_height = 0, window_width = 0;

  constexpr std::size_t elements() const { return rows * columns; }
  // As Keras computes fan-out for its initialisers: the units, times the window for a convolution.
  constexpr std::size_t fan_out() const { return columns * (window_height > 0 ? window_height * window_width : 1); }
  constexpr std::size_t stored_floats() const { return rows * simd::padded(columns); }
};
inline constexpr std::size_t max_tensors = 4;
using Tensors = FixedList<Tensor, max_tensors>;

// A buffer a layer needs beside its input and output.
enum class Lifetime : unsigned char {
  kept,  // filled by forward in training, read by backward (a dropout mask, batch statistics)
  step,  // used within one pass only, shared by all layers (a transposed kernel)
};
struct Scratch {
  std::string_view name;
  std::size_t floats_per_row = 0;  // per sample of the batch
  std::size_t floats = 0;          // plus this many whatever the batch
  Lifetime lifetime = Lifetime::kept;
  bool input_gradient_only = false;  // used only to pass a gradient to the layer's input: the first layer never gets it
};
inline constexpr std::size_t max_scratch = 6;
using ScratchList = FixedList<Scratch, max_scratch>;

// Where a backward step reads: the layer's output, or one of its scratch buffers.
struct BufferRef {
  bool output = true;
  std::size_t scratch = 0;
};
enum class StepKind : unsigned char {
  scale,                  // g *= source                       (a dropout mask)
  add_l1_sign,            // g += coefficient * sign(source)   (an activity L1 penalty on the source)
  activation_derivative,  // g *= act'(source), from the activation's output
};
// One element-wise step of a layer's backward pass, applied to the gradient of its output to
// give the gradient of its input. The drivers fuse consecutive steps into the kernel that
// computes the gradient (codegen/backward_epilogue.hpp), or apply them as passes of their own.
struct BackwardStep {
  StepKind kind = StepKind::scale;
  BufferRef source{};
  float coefficient = 0.0f;
  ActivationKind activation = ActivationKind::linear;
};
inline constexpr std::size_t max_backward_steps = 3;
using BackwardSteps = FixedList<BackwardStep, max_backward_steps>;

// The products of a layer's training step (forward, kernel gradient, input gradient).
inline constexpr std::size_t max_products = 3;
using Products = FixedList<codegen::Product, max_products>;

// What the drivers may do around a layer.
struct LayerTraits {
  bool elementwise_backward = false;    // its backward is its steps alone: it has no backward()
  bool identity_in_inference = false;   // inference passes its input through (Dropout)
  // Training passes its input through as well (Flatten): its output is its input's buffer, which the
  // drivers give it instead of one of its own; its rows must be laid out as its input's.
  bool identity_in_training = false;
  bool in_place_inference = false;      // inference may write over its input (BatchNorm)
  bool in_place_backward = false;       // backward writes its input's gradient over its output's
  bool reads_unpadded_input = false;    // forward reads rows of elements() floats as well as padded ones
  bool seeded = false;                  // its initial values come from the seed: each such layer gets a stream of its own
  bool draws_random_numbers = false;    // in training: each such layer gets a stream of its own
  bool produces_probabilities = false;  // its outputs are class probabilities (a softmax): the loss reads them
  // Over several processes (codegen/process_share.hpp), forward_training writes the rows it is given
  // (the driver hands it this process's rows and gathers the others'; it adds no penalty, and backward
  // rebuilds any scratch per row it reads of the other rows), and backward computes the
  // parameter-gradient rows and input-gradient rows io.share names. Without it, every process runs
  // the layer whole.
  bool shares_work = false;
};

// A layer that cannot read its input: the message says why, the drivers add the layer's position.
struct ShapeError : Error {
  using Error::Error;
};

}  // namespace ctnn::layers
