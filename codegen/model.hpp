// Model<Net>: the parameters of a network in one planned arena, and prediction.
#pragma once

#include <algorithm>
#include <boost/hana/for_each.hpp>
#include <cstddef>
#include <span>
#include <string>

#include "../dsl/net.hpp"
#include "../dsl/random.hpp"
#include "arena.hpp"
#include "batch_norm_parameters.hpp"
#include "dense_backward.hpp"
#include "forward_pass.hpp"
#include "matrix_view.hpp"
#include "memory_plan.hpp"
#include "thread_pool.hpp"

namespace ctnn {

template <NetType N>
class Model {
 public:
  using net = N;
  static constexpr std::size_t inputs = N::input_size;
  static constexpr std::size_t outputs = N::output_size;
  static constexpr std::size_t input_size() { return inputs; }
  static constexpr std::size_t output_size() { return outputs; }
  static constexpr std::size_t depth() { return N::depth; }
  static std::string architecture() { return N::architecture(); }

  explicit Model(Seed seed = {}) : arena_(model_plan<N>.bytes) { initialize(seed); }

  // Threads for batched prediction and training (default: CTNN_NUM_THREADS, else the hardware's).
  // Results are the same for every count; single-sample prediction always runs on the caller's thread.
  void set_threads(std::size_t count) { threads_ = std::max<std::size_t>(1, count); }
  std::size_t threads() const { return threads_; }

  // Kernels from each layer's initialiser, one random stream per layer; biases zero; batch
  // normalisation as Keras starts it (gamma 1, beta 0, moving mean 0, moving variance 1).
  void initialize(Seed seed) {
    boost::hana::for_each(N::layer_indices, [&](auto index) {
      constexpr std::size_t l = decltype(index)::value;
      using layer = typename N::template layer<l>;
      Rng rng(seed.value, l);
      MatrixView<float> w = kernel<l>();
      for (std::size_t i = 0; i < w.rows; ++i)
        for (std::size_t o = 0; o < w.cols; ++o)
          w(i, o) = layer::initializer::sample(rng, layer::inputs, layer::outputs);
      std::ranges::fill(bias<l>(), 0.0f);
      reset_batch_norm(batch_norm(l));
    });
  }

  // Layer I's kernel, inputs x outputs (rows padded in memory), and its bias.
  template <std::size_t I>
  MatrixView<float> kernel() {
    return {in_arena(arena_.data(), model_plan<N>.offset(BufferRole::kernel, I)), N::layer_inputs[I],
            N::layer_outputs[I], codegen::Layout<N>::stride[I]};
  }
  template <std::size_t I>
  MatrixView<const float> kernel() const {
    return {in_arena(arena_.data(), model_plan<N>.offset(BufferRole::kernel, I)), N::layer_inputs[I],
            N::layer_outputs[I], codegen::Layout<N>::stride[I]};
  }
  template <std::size_t I>
  std::span<float> bias() {
    return {in_arena(arena_.data(), model_plan<N>.offset(BufferRole::bias, I)), N::layer_outputs[I]};
  }
  template <std::size_t I>
  std::span<const float> bias() const {
    return {in_arena(arena_.data(), model_plan<N>.offset(BufferRole::bias, I)), N::layer_outputs[I]};
  }

  // Layer l's kernel and bias chosen at run time: for code written once for both backends (model files).
  MatrixView<float> kernel(std::size_t l) {
    return {in_arena(arena_.data(), model_plan<N>.offset(BufferRole::kernel, l)), N::layer_inputs[l],
            N::layer_outputs[l], codegen::Layout<N>::stride[l]};
  }
  MatrixView<const float> kernel(std::size_t l) const { return const_cast<Model&>(*this).kernel(l); }
  std::span<float> bias(std::size_t l) {
    return {in_arena(arena_.data(), model_plan<N>.offset(BufferRole::bias, l)), N::layer_outputs[l]};
  }
  std::span<const float> bias(std::size_t l) const { return const_cast<Model&>(*this).bias(l); }
  // The parameters of the BatchNorm after layer l; empty (false) when it has none.
  BatchNormParameters<float> batch_norm(std::size_t l) {
    if (!(N::batch_norm_after[l] >= 0.0f)) return {};
    return {in_arena(arena_.data(), model_plan<N>.offset(BufferRole::batch_norm, l)), N::layer_outputs[l],
            codegen::Layout<N>::stride[l]};
  }
  BatchNormParameters<const float> batch_norm(std::size_t l) const { return const_cast<Model&>(*this).batch_norm(l); }

  // Class probabilities of one sample. Uses only the stack: thread-safe, no allocation.
  void predict(const float* sample, float* probabilities) const {
    using L = codegen::Layout<N>;
    alignas(arena_alignment) float scratch[L::pingpong_floats_per_row];
    codegen::forward_pass<N>(arena_.data(), sample, codegen::fixed<1>{},
                             [&](std::size_t l) { return scratch + L::pingpong_offset(l, 1); });
    std::copy_n(scratch + L::pingpong_offset(N::depth - 1, 1), outputs, probabilities);
  }
  void predict(std::span<const float, inputs> sample, std::span<float, outputs> probabilities) const {
    predict(sample.data(), probabilities.data());
  }

  // Probabilities of `count` samples (count x inputs in, count x outputs out), in chunks of
  // prediction_rows through the arena's ping-pong buffers: no allocation, one caller at a time.
  void predict(const float* samples, std::size_t count, float* probabilities) {
    using L = codegen::Layout<N>;
    float* pingpong = in_arena(arena_.data(), model_plan<N>.offset(BufferRole::prediction_pingpong));
    for (std::size_t first = 0; first < count; first += prediction_rows) {
      const std::size_t rows = std::min(prediction_rows, count - first);
      codegen::forward_pass<N>(
          arena_.data(), samples + first * inputs, rows,
          [&](std::size_t l) { return pingpong + L::pingpong_offset(l, prediction_rows); }, threads_);
      const float* last = pingpong + L::pingpong_offset(N::depth - 1, prediction_rows);
      for (std::size_t r = 0; r < rows; ++r)
        std::copy_n(last + r * L::stride[N::depth - 1], outputs, probabilities + (first + r) * outputs);
    }
  }

  // Inference over `rows` samples (rows x inputs), layer l writing its outputs (rows x padded
  // outputs) where output_of(l) says: for code that needs every layer's outputs (analysis).
  template <class OutputOf>
  void forward(const float* samples, std::size_t rows, OutputOf&& output_of) const {
    codegen::forward_pass<N>(arena_.data(), samples, rows, output_of, threads_);
  }
  // Layer l's activation as in a run-time spec: "relu", "softmax", ...
  static constexpr std::string_view activation_name(std::size_t l) { return N::layer_architecture[l].activation; }

  // The regularisers' penalty on the current weights, as added to the loss.
  double regularization_penalty() const {
    double total = 0.0;
    boost::hana::for_each(N::layer_indices, [&](auto index) {
      constexpr std::size_t l = decltype(index)::value;
      total += codegen::regularizer_penalty(typename N::template layer<l>::regularizer{}, kernel<l>().data,
                                            codegen::Layout<N>::kernel_floats(l));
    });
    return total;
  }

  static std::string describe() { return N::describe(); }
  // Keras's model.summary() table (see dsl/summary.hpp).
  static std::string summary() { return N::summary(); }

  // The arena, for the training code that grows it into a training plan.
  std::byte* arena() { return arena_.data(); }
  const std::byte* arena() const { return arena_.data(); }
  void reserve_arena(std::size_t bytes) { arena_.grow(bytes); }
  std::size_t arena_bytes() const { return arena_.bytes(); }

 private:
  Arena arena_;
  std::size_t threads_ = default_thread_count();
};

}  // namespace ctnn
