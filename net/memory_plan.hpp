// The static memory plan of a Net: every buffer of a model, a training step or a prediction at a
// constant offset in one 64-byte-aligned arena, derived from the layers' tensors and scratch.
// Plans are constexpr values that can be printed and tested.
//
// Plans nest: the training plan of a Net starts with its model plan (parameters, then the
// buffers of batched prediction), so a model's arena can grow into a training arena without
// moving its parameters.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "../codegen/arena.hpp"
#include "../codegen/optimizer_update.hpp"
#include "../codegen/prediction_rows.hpp"
#include "net.hpp"

namespace ctnn {

enum class BufferRole : unsigned char {
  parameters,           // one layer's tensors, one after the other
  prediction_pingpong,  // layer outputs of a batched prediction, reused from layer to layer
  gradients,            // laid out like all the parameters
  optimizer_state,      // optimizer_state_slots arrays laid out like all the parameters
  input_batch,          // the samples of one mini-batch, gathered
  labels,
  output,               // one layer's outputs for the mini-batch, kept for backward
  scratch,              // one of a layer's scratch buffers kept for backward (a mask, batch statistics)
  step_scratch,         // scratch used within one layer's pass, shared by all layers (a transposed kernel)
  gradient_pingpong,    // gradients of the layers' outputs, two layers at a time
};

constexpr std::string_view role_name(BufferRole role) {
  switch (role) {
    case BufferRole::parameters: return "parameters";
    case BufferRole::prediction_pingpong: return "prediction ping-pong";
    case BufferRole::gradients: return "gradients";
    case BufferRole::optimizer_state: return "optimizer state";
    case BufferRole::input_batch: return "input batch";
    case BufferRole::labels: return "labels";
    case BufferRole::output: return "output";
    case BufferRole::scratch: return "scratch";
    case BufferRole::step_scratch: return "step scratch";
    case BufferRole::gradient_pingpong: return "gradient ping-pong";
  }
  return "?";
}

inline constexpr std::size_t no_layer = static_cast<std::size_t>(-1);

struct PlannedBuffer {
  BufferRole role{};
  std::size_t layer = no_layer;
  std::size_t index = 0;   // which of the layer's scratch buffers
  std::string_view name;   // the layer's Keras type, or the scratch buffer's name
  std::size_t offset = 0;  // bytes from the start of the arena
  std::size_t bytes = 0;
};

template <std::size_t Capacity>
struct MemoryPlan {
  std::array<PlannedBuffer, Capacity> buffers{};
  std::size_t count = 0;
  std::size_t bytes = 0;  // total, a multiple of arena_alignment

  constexpr void add(BufferRole role, std::size_t layer, std::size_t buffer_bytes, std::string_view name = {},
                     std::size_t index = 0) {
    buffers[count++] = {role, layer, index, name, bytes, buffer_bytes};
    bytes += (buffer_bytes + arena_alignment - 1) / arena_alignment * arena_alignment;
  }

  template <std::size_t Other>
  constexpr void append(const MemoryPlan<Other>& prefix) {
    for (std::size_t i = 0; i < prefix.count; ++i) buffers[count++] = prefix.buffers[i];
    bytes += prefix.bytes;
  }

  constexpr const PlannedBuffer& find(BufferRole role, std::size_t layer = no_layer, std::size_t index = 0) const {
    for (std::size_t i = 0; i < count; ++i)
      if (buffers[i].role == role && buffers[i].layer == layer && buffers[i].index == index) return buffers[i];
    throw "ctnn::MemoryPlan: no such buffer";  // only reachable in constant evaluation, as a compile error
  }
  constexpr std::size_t offset(BufferRole role, std::size_t layer = no_layer, std::size_t index = 0) const {
    return find(role, layer, index).offset;
  }
};

// Where the layers of a Net write in inference, and where the gradients of their outputs go in
// training: two slots of one ping-pong region, the first from its front and the second ending at
// its back, so that a region as wide as the widest pair of neighbouring slots holds both.
template <NetType N>
struct PingPong {
  static constexpr std::size_t count = N::layer_count;
  // Inference: layer i reads the caller's samples (the slot is none) or a slot, and writes a slot,
  // unless it passes its input through (identity) or writes over it (in place).
  static constexpr std::size_t none = 2;
  static constexpr std::array<std::size_t, count + 1> inference_slot = [] {
    std::array<std::size_t, count + 1> slot{};  // slot[i + 1]: where layer i's output is; slot[0]: the input
    slot[0] = none;
    for (std::size_t i = 0; i < count; ++i) {
      const layers::LayerTraits& t = N::traits[i];
      if (t.identity_in_inference) slot[i + 1] = slot[i];
      else if (t.in_place_inference && slot[i] != none) slot[i + 1] = slot[i];
      else slot[i + 1] = slot[i] == 0 ? 1 : 0;
    }
    return slot;
  }();
  // Floats from one row to the next of what layer i reads in inference: the caller's samples are
  // unpadded rows.
  static constexpr std::array<std::size_t, count> inference_input_stride = [] {
    std::array<std::size_t, count> stride{};
    std::size_t current = N::input_size;
    for (std::size_t i = 0; i < count; ++i) {
      stride[i] = current;
      if (!N::traits[i].identity_in_inference) current = N::output_stride(i);
    }
    return stride;
  }();
  // Floats per row of the inference region: the widest pair of a slot read and a slot written.
  static constexpr std::size_t inference_floats_per_row = [] {
    std::size_t widest = 0, in_stride = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const std::size_t out_stride = N::output_stride(i);
      if (inference_slot[i + 1] != inference_slot[i] && !N::traits[i].identity_in_inference) {
        widest = std::max(widest, (inference_slot[i] == none ? 0 : in_stride) + out_stride);
      }
      if (!N::traits[i].identity_in_inference) in_stride = out_stride;
    }
    return std::max(widest, std::size_t(simd::lanes));
  }();

  // Training: the gradient of layer i's output; a layer whose backward is element-wise or in
  // place leaves its input's gradient where its output's is.
  static constexpr std::array<std::size_t, count> gradient_slot = [] {
    std::array<std::size_t, count> slot{};
    layers::assign_gradient_slots(count, [](std::size_t i) { return N::traits[i]; }, slot);
    return slot;
  }();
  static constexpr std::size_t gradient_floats_per_row = [] {
    std::size_t widest = N::output_stride(count - 1);
    for (std::size_t i = 1; i < count; ++i)
      if (gradient_slot[i - 1] != gradient_slot[i]) widest = std::max(widest, N::output_stride(i - 1) + N::output_stride(i));
    return widest;
  }();

  // Floats from the start of the region to slot `slot` holding a layer of row stride `stride`.
  static constexpr std::size_t offset(std::size_t slot, std::size_t stride, std::size_t rows, std::size_t floats_per_row) {
    return slot == 0 ? 0 : rows * (floats_per_row - stride);
  }
};

namespace detail {

template <NetType N>
constexpr auto make_inference_plan(std::size_t rows) {
  MemoryPlan<N::layer_count + 1> plan;
  for (std::size_t i = 0; i < N::layer_count; ++i)
    plan.add(BufferRole::parameters, i, layers::block_floats(N::tensors[i]) * sizeof(float), N::keras_types[i]);
  plan.add(BufferRole::prediction_pingpong, no_layer, rows * PingPong<N>::inference_floats_per_row * sizeof(float));
  return plan;
}

}  // namespace detail

// Parameters plus ping-pong buffers for predicting `Rows` samples at once.
template <NetType N, std::size_t Rows>
inline constexpr auto inference_plan = detail::make_inference_plan<N>(Rows);

// What a Model owns before any training: the inference plan for batched prediction.
template <NetType N>
inline constexpr auto model_plan = inference_plan<N, prediction_rows>;

// layers::batch_input_stride of the Net.
template <NetType N>
inline constexpr std::size_t input_batch_stride = layers::batch_input_stride(N::input_shape, N::traits[0]);

namespace detail {

template <NetType N>
constexpr std::size_t step_scratch_floats(std::size_t batch, std::size_t i) {
  std::size_t floats = 0;
  for (const layers::Scratch& s : N::scratch[i])
    if (s.lifetime == layers::Lifetime::step && (N::passes_gradient[i] || !s.input_gradient_only))
      floats += simd::padded(batch * s.floats_per_row + s.floats);
  return floats;
}

template <NetType N, std::size_t Batch>
constexpr auto make_training_plan() {
  constexpr auto prefix = model_plan<N>;
  MemoryPlan<prefix.buffers.size() + (2 + layers::max_scratch) * N::layer_count + 8> plan;
  plan.append(prefix);
  const std::size_t parameter_bytes = N::parameter_floats * sizeof(float);
  // Gradients and optimiser state repeat the parameters' layout, so updates are flat loops.
  plan.add(BufferRole::gradients, no_layer, parameter_bytes);
  plan.add(BufferRole::optimizer_state, no_layer, optimizer_state_slots * parameter_bytes);
  plan.add(BufferRole::input_batch, no_layer, Batch * input_batch_stride<N> * sizeof(float));
  plan.add(BufferRole::labels, no_layer, Batch * sizeof(std::int32_t));
  std::size_t step_floats = 0;
  for (std::size_t i = 0; i < N::layer_count; ++i) {
    // A layer that passes its input through in training writes nowhere (its output is its input's).
    if (!N::traits[i].identity_in_training)
      plan.add(BufferRole::output, i, Batch * N::output_stride(i) * sizeof(float), N::keras_types[i]);
    for (std::size_t k = 0; k < N::scratch[i].size(); ++k) {
      const layers::Scratch& s = N::scratch[i][k];
      if (s.lifetime == layers::Lifetime::kept)
        plan.add(BufferRole::scratch, i, (Batch * s.floats_per_row + s.floats) * sizeof(float), s.name, k);
    }
    step_floats = std::max(step_floats, step_scratch_floats<N>(Batch, i));
  }
  if (step_floats > 0) plan.add(BufferRole::step_scratch, no_layer, step_floats * sizeof(float));
  plan.add(BufferRole::gradient_pingpong, no_layer, Batch * PingPong<N>::gradient_floats_per_row * sizeof(float));
  return plan;
}

}  // namespace detail

// Everything one training step of mini-batch size Batch touches.
template <NetType N, std::size_t Batch>
inline constexpr auto training_plan = detail::make_training_plan<N, Batch>();

// The plan as a table: one line per buffer that takes room (name, offset, bytes) and the total.
template <std::size_t Capacity>
std::string format_plan(const MemoryPlan<Capacity>& plan) {
  std::string text;
  char line[160];
  std::snprintf(line, sizeof line, "%-44s %12s %12s\n", "buffer", "offset", "bytes");
  text += line;
  for (std::size_t i = 0; i < plan.count; ++i) {
    const PlannedBuffer& b = plan.buffers[i];
    if (b.bytes == 0) continue;  // a layer without parameters, scratch its shapes do not need: no room taken
    std::string name = b.layer == no_layer ? std::string() : "layer " + std::to_string(b.layer) + " ";
    name += role_name(b.role);
    if (!b.name.empty()) name.append(" (").append(b.name).append(")");
    std::snprintf(line, sizeof line, "%-44s %12zu %12zu\n", name.c_str(), b.offset, b.bytes);
    text += line;
  }
  std::snprintf(line, sizeof line, "%-44s %12s %12zu  (%.2f MiB)\n", "total", "", plan.bytes,
                double(plan.bytes) / (1024.0 * 1024.0));
  return text + line;
}

// Prints the inference plan of Net for predicting Rows samples at once.
template <NetType N, std::size_t Rows = 1>
void print_inference_plan(std::FILE* out = stdout) {
  std::fprintf(out, "Memory plan of %s, predicting %zu sample%s at once:\n%s", N::describe().c_str(), Rows,
               Rows == 1 ? "" : "s", format_plan(inference_plan<N, Rows>).c_str());
}

// Prints the training plan of Net at mini-batch size Batch.
template <NetType N, std::size_t Batch>
void print_plan(std::FILE* out = stdout) {
  std::fprintf(out, "Memory plan of %s, training at batch %zu:\n%s", N::describe().c_str(), Batch,
               format_plan(training_plan<N, Batch>).c_str());
}

}  // namespace ctnn
