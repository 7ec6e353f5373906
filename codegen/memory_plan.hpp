// The static memory plan: every buffer of a model, a training step or a prediction at a
// constant offset in one 64-byte-aligned arena. Plans are constexpr values that can be
// printed and tested.
//
// Plans nest: the training plan of a Net starts with its model plan (parameters, then the
// scratch of batched prediction), so a model's arena can grow into a training arena without
// moving its parameters.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

#include "layout.hpp"

namespace ctnn {

enum class BufferRole : unsigned char {
  kernel,
  bias,
  batch_norm,  // gamma, beta, moving mean, moving variance, for a layer followed by BatchNorm
  prediction_pingpong,  // layer outputs of a batched prediction, reused from layer to layer
  kernel_gradient,
  bias_gradient,
  batch_norm_gradient,  // of gamma and beta; the moving statistics' rows stay zero
  optimizer_state_1,  // three arrays laid out like all the parameters (SGD momentum, Adam's moments, ...)
  optimizer_state_2,
  optimizer_state_3,
  input_batch,  // the samples of one mini-batch, gathered
  labels,
  activation,        // layer outputs of one mini-batch, all kept for backward
  batch_statistics,  // per output: 1 / sqrt(batch variance + epsilon), for a layer followed by BatchNorm
  normalized,        // that layer's outputs normalised with the batch's statistics (x_hat)
  normalized_output, // gamma * x_hat + beta: what the next layer (or the dropout) reads
  dropout_mask,      // per output: 0 (dropped) or 1 / (1 - rate), for a layer followed by Dropout
  dropped_output,    // that layer's outputs times the mask: what the next layer reads
  deltas_pingpong,   // loss gradients w.r.t. layer pre-activations, two layers at a time
  transposed_kernel  // W^T of one layer, packed for the input-gradient product
};

constexpr std::string_view role_name(BufferRole role) {
  switch (role) {
    case BufferRole::kernel: return "kernel";
    case BufferRole::bias: return "bias";
    case BufferRole::batch_norm: return "batch norm";
    case BufferRole::prediction_pingpong: return "prediction ping-pong";
    case BufferRole::kernel_gradient: return "kernel gradient";
    case BufferRole::bias_gradient: return "bias gradient";
    case BufferRole::batch_norm_gradient: return "batch norm gradient";
    case BufferRole::optimizer_state_1: return "optimizer state 1";
    case BufferRole::optimizer_state_2: return "optimizer state 2";
    case BufferRole::optimizer_state_3: return "optimizer state 3";
    case BufferRole::input_batch: return "input batch";
    case BufferRole::labels: return "labels";
    case BufferRole::activation: return "activation";
    case BufferRole::batch_statistics: return "batch statistics";
    case BufferRole::normalized: return "normalized";
    case BufferRole::normalized_output: return "normalized output";
    case BufferRole::dropout_mask: return "dropout mask";
    case BufferRole::dropped_output: return "dropped output";
    case BufferRole::deltas_pingpong: return "deltas ping-pong";
    case BufferRole::transposed_kernel: return "transposed kernel";
  }
  return "?";
}

inline constexpr std::size_t arena_alignment = 64;

// Arrays of optimiser state in a training plan, each laid out like all the parameters: the most
// any optimiser uses (Adam with amsgrad: m, v and max v; RMSprop centered with momentum).
inline constexpr std::size_t optimizer_state_slots = 3;
inline constexpr std::size_t no_layer = static_cast<std::size_t>(-1);

struct PlannedBuffer {
  BufferRole role{};
  std::size_t layer = no_layer;
  std::size_t offset = 0;  // bytes from the start of the arena
  std::size_t bytes = 0;
};

template <std::size_t Capacity>
struct MemoryPlan {
  std::array<PlannedBuffer, Capacity> buffers{};
  std::size_t count = 0;
  std::size_t bytes = 0;  // total, a multiple of arena_alignment

  constexpr void add(BufferRole role, std::size_t layer, std::size_t buffer_bytes) {
    buffers[count++] = {role, layer, bytes, buffer_bytes};
    bytes += (buffer_bytes + arena_alignment - 1) / arena_alignment * arena_alignment;
  }

  template <std::size_t Other>
  constexpr void append(const MemoryPlan<Other>& prefix) {
    for (std::size_t i = 0; i < prefix.count; ++i) buffers[count++] = prefix.buffers[i];
    bytes += prefix.bytes;
  }

  constexpr const PlannedBuffer& find(BufferRole role, std::size_t layer = no_layer) const {
    for (std::size_t i = 0; i < count; ++i)
      if (buffers[i].role == role && buffers[i].layer == layer) return buffers[i];
    throw "ctnn::MemoryPlan: no such buffer";  // only reachable in constant evaluation, as a compile error
  }
  constexpr std::size_t offset(BufferRole role, std::size_t layer = no_layer) const { return find(role, layer).offset; }
};

namespace detail {

template <NetType N, std::size_t Rows>
constexpr auto make_inference_plan() {
  using L = codegen::Layout<N>;
  MemoryPlan<3 * N::depth + 1> plan;
  for (std::size_t l = 0; l < N::depth; ++l) {
    plan.add(BufferRole::kernel, l, L::kernel_floats(l) * sizeof(float));
    plan.add(BufferRole::bias, l, L::bias_floats(l) * sizeof(float));
    if (L::batch_norm_floats(l) > 0) plan.add(BufferRole::batch_norm, l, L::batch_norm_floats(l) * sizeof(float));
  }
  plan.add(BufferRole::prediction_pingpong, no_layer, Rows * L::pingpong_floats_per_row * sizeof(float));
  return plan;
}

}  // namespace detail

// Rows that one batched prediction processes at a time.
inline constexpr std::size_t prediction_rows = 128;

// Parameters plus ping-pong buffers for predicting `Rows` samples at once.
template <NetType N, std::size_t Rows>
inline constexpr auto inference_plan = detail::make_inference_plan<N, Rows>();

// What a Model owns before any training: the inference plan for batched prediction.
template <NetType N>
inline constexpr auto model_plan = inference_plan<N, prediction_rows>;

namespace detail {

template <NetType N, std::size_t Batch>
constexpr auto make_training_plan() {
  using L = codegen::Layout<N>;
  constexpr auto prefix = model_plan<N>;
  MemoryPlan<prefix.buffers.size() + 9 * N::depth + 7> plan;
  plan.append(prefix);
  // Gradients and optimiser state repeat the parameters' layout, so updates are flat loops.
  for (std::size_t l = 0; l < N::depth; ++l) {
    plan.add(BufferRole::kernel_gradient, l, L::kernel_floats(l) * sizeof(float));
    plan.add(BufferRole::bias_gradient, l, L::bias_floats(l) * sizeof(float));
    if (L::batch_norm_floats(l) > 0)
      plan.add(BufferRole::batch_norm_gradient, l, L::batch_norm_floats(l) * sizeof(float));
  }
  const std::size_t parameter_bytes = prefix.offset(BufferRole::prediction_pingpong) - prefix.offset(BufferRole::kernel, 0);
  for (BufferRole state : {BufferRole::optimizer_state_1, BufferRole::optimizer_state_2, BufferRole::optimizer_state_3})
    plan.add(state, no_layer, parameter_bytes);
  plan.add(BufferRole::input_batch, no_layer, Batch * L::inputs[0] * sizeof(float));
  plan.add(BufferRole::labels, no_layer, Batch * sizeof(std::int32_t));
  for (std::size_t l = 0; l < N::depth; ++l) plan.add(BufferRole::activation, l, Batch * L::stride[l] * sizeof(float));
  for (std::size_t l = 0; l < N::depth; ++l)
    if (L::batch_norm_floats(l) > 0) {
      plan.add(BufferRole::batch_statistics, l, L::stride[l] * sizeof(float));
      plan.add(BufferRole::normalized, l, Batch * L::stride[l] * sizeof(float));
      plan.add(BufferRole::normalized_output, l, Batch * L::stride[l] * sizeof(float));
    }
  for (std::size_t l = 0; l < N::depth; ++l)
    if (N::dropout_after[l] > 0.0f) {
      plan.add(BufferRole::dropout_mask, l, Batch * L::stride[l] * sizeof(float));
      plan.add(BufferRole::dropped_output, l, Batch * L::stride[l] * sizeof(float));
    }
  plan.add(BufferRole::deltas_pingpong, no_layer, Batch * L::pingpong_floats_per_row * sizeof(float));
  if (L::transposed_kernel_floats > 0)
    plan.add(BufferRole::transposed_kernel, no_layer, L::transposed_kernel_floats * sizeof(float));
  return plan;
}

}  // namespace detail

// Everything one training step of mini-batch size Batch touches.
template <NetType N, std::size_t Batch>
inline constexpr auto training_plan = detail::make_training_plan<N, Batch>();

// The plan as a table: one line per buffer (name, offset, bytes) and the total.
template <std::size_t Capacity>
std::string format_plan(const MemoryPlan<Capacity>& plan) {
  std::string text;
  char line[128];
  std::snprintf(line, sizeof line, "%-32s %12s %12s\n", "buffer", "offset", "bytes");
  text += line;
  for (std::size_t i = 0; i < plan.count; ++i) {
    const PlannedBuffer& b = plan.buffers[i];
    std::string name = b.layer == no_layer ? std::string(role_name(b.role))
                                           : "layer " + std::to_string(b.layer) + " " + std::string(role_name(b.role));
    std::snprintf(line, sizeof line, "%-32s %12zu %12zu\n", name.c_str(), b.offset, b.bytes);
    text += line;
  }
  std::snprintf(line, sizeof line, "%-32s %12s %12zu  (%.2f MiB)\n", "total", "", plan.bytes,
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
