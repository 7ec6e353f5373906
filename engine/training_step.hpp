// One training step of an engine::Network at a mini-batch size chosen at run time: the same
// interface as the generated TrainingStep<Net, Batch>, with buffers allocated when it is built.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "../codegen/arena.hpp"
#include "../codegen/batch_norm.hpp"
#include "../codegen/batch_result.hpp"
#include "../codegen/dense_backward.hpp"
#include "../codegen/dropout.hpp"
#include "../codegen/gather_rows.hpp"
#include "../codegen/gradient_sinks.hpp"
#include "../codegen/loss_kernels.hpp"
#include "../error.hpp"
#include "network.hpp"

namespace ctnn::engine {

class TrainingStep : public codegen::GradientSinks<TrainingStep> {
  friend class codegen::GradientSinks<TrainingStep>;

 public:
  TrainingStep(Network& network, std::size_t batch_size)
      : network_(network),
        batch_(batch_size),
        input_(checked_batch(network, batch_size) * network.input_size() * sizeof(float)),
        labels_(batch_size * sizeof(std::int32_t)),
        gradients_(network.layout().total_floats() * sizeof(float)),
        optimizer_state_(optimizer_state_slots * network.layout().total_floats() * sizeof(float)),
        deltas_(batch_size * network.layout().pingpong_floats_per_row() * sizeof(float)),
        transposed_(transposed_floats(network) * sizeof(float)) {
    for (std::size_t l = 0; l < network.depth(); ++l) {
      const std::size_t bytes = batch_size * network.layout().shape(l).stride() * sizeof(float);
      const bool dropout = network.spec().layers[l].dropout > 0.0f;
      const bool batch_norm = network.spec().layers[l].batch_norm;
      activations_.emplace_back(bytes);
      masks_.emplace_back(dropout ? bytes : 0);
      dropped_.emplace_back(dropout ? bytes : 0);
      batch_statistics_.emplace_back(batch_norm ? network.layout().shape(l).stride() * sizeof(float) : 0);
      normalized_.emplace_back(batch_norm ? bytes : 0);
      normalized_output_.emplace_back(batch_norm ? bytes : 0);
    }
  }

  // Dropout masks are drawn from this seed and the number of steps since it was set.
  void seed_dropout(std::uint64_t seed) { dropout_seed_ = seed, steps_ = 0; }
  // The loss the next steps minimise (sparse categorical cross-entropy until set).
  void set_loss(const Loss& loss) { check_loss(loss), loss_ = loss; }
  const Loss& loss() const { return loss_; }

  std::size_t batch_size() const { return batch_; }

  // Copies the samples named by `indices` (at most batch_size() of them).
  void load_batch(const float* images, const std::uint8_t* labels, std::span<const std::uint32_t> indices) {
    check_rows(indices.size());
    codegen::gather_rows(images, network_.input_size(), indices, in_arena(input_.data(), 0), network_.threads());
    auto* y = in_arena<std::int32_t>(labels_.data(), 0);
    for (std::size_t r = 0; r < indices.size(); ++r) y[r] = labels[indices[r]];
  }

  std::span<float> parameters() { return network_.parameters(); }
  std::span<float> gradients() { return {gradient_data(), network_.layout().total_floats()}; }
  // All optimiser state: optimizer_state_slots arrays, optimizer_state_stride() floats apart.
  std::span<float> optimizer_state() {
    return {in_arena(optimizer_state_.data(), 0), optimizer_state_slots * optimizer_state_stride()};
  }
  std::size_t optimizer_state_stride() const { return network_.layout().total_floats(); }

  MatrixView<const float> kernel_gradient(std::size_t l) {
    const LayerSpec& layer = network_.spec().layers.at(l);
    return {gradient_data() + network_.layout().kernel_offset(l), layer.inputs, layer.outputs,
            network_.layout().shape(l).stride()};
  }
  std::span<const float> bias_gradient(std::size_t l) {
    return {gradient_data() + network_.layout().bias_offset(l), network_.spec().layers.at(l).outputs};
  }
  // The gradients of layer l's batch normalisation (gamma's and beta's rows; the others are zero).
  BatchNormParameters<const float> batch_norm_gradient(std::size_t l) {
    const BatchNormParameters<float> norm = network_.batch_norm(l);
    if (!norm) throw Error("engine::TrainingStep::batch_norm_gradient: layer " + std::to_string(l) + " has no batch norm");
    return {gradient_data() + (norm.data - parameters().data()), norm.units, norm.stride};
  }
  // Layer l's outputs for the current batch, before its batch normalisation and dropout.
  MatrixView<const float> layer_output(std::size_t l, std::size_t rows) {
    return {activation(l), rows, network_.spec().layers.at(l).outputs, network_.layout().shape(l).stride()};
  }
  // The dropout mask of layer l in the last step.
  MatrixView<const float> dropout_mask(std::size_t l, std::size_t rows) {
    if (!mask(l)) throw Error("engine::TrainingStep::dropout_mask: layer " + std::to_string(l) + " has no dropout");
    return {mask(l), rows, network_.spec().layers.at(l).outputs, network_.layout().shape(l).stride()};
  }

 private:
  template <class SinkFor>
  BatchResult forward_backward(std::size_t rows, SinkFor&& sink_for) {
    check_rows(rows);
    const ParameterLayout& layout = network_.layout();
    const std::size_t last = network_.depth() - 1;
    const std::size_t threads = network_.threads();
    double penalty = network_.regularization_penalty();  // on the weights of this forward pass
    for (std::size_t l = 0; l <= last; ++l) {
      const LayerSpec& layer = network_.spec().layers[l];
      with_activation(layer.activation, [&]<class Act>(Act) {
        codegen::dense_forward<Act>(layout.shape(l), input_of(l), rows, network_.kernel(l).data, network_.bias(l).data(),
                                    activation(l), threads);
      });
      if (const BatchNormParameters<float> norm = network_.batch_norm(l))
        codegen::batch_norm_forward(norm.stride, rows, activation(l), norm.data, layer.batch_norm_momentum,
                                    batch_norm_epsilon, normalized(l), normalized_output(l), batch_statistics(l));
      if (layer.dropout > 0.0f)
        codegen::dropout_forward(layer.dropout, layer.outputs, layout.shape(l).stride(), rows, normalized_output(l),
                                 mask(l), dropped(l), dropout_seed_, steps_, l);
      if (layer.activity_l1 > 0.0f)
        penalty += codegen::activity_penalty(layer.activity_l1, layer.outputs, layout.shape(l).stride(), activation(l), rows);
    }
    ++steps_;
    const codegen::LossSums sums = codegen::loss_delta(
        loss_, network_.output_size(), layout.shape(last).stride(), activation(last), in_arena<std::int32_t>(labels_.data(), 0),
        rows, delta(last));
    // A loss that is not finite ends training (fit throws) before the backward pass updates anything:
    // the model keeps the weights of the last good step.
    if (!std::isfinite(sums.loss + penalty)) return {sums.loss, penalty, sums.correct, rows};

    for (std::size_t l = last + 1; l-- > 0;) {
      const RuntimeShape& shape = layout.shape(l);
      const float* layer_input = input_of(l);
      float* kernel = network_.kernel(l).data;
      float* transposed = in_arena(transposed_.data(), 0);
      if (l > 0) codegen::transpose_kernel(shape, kernel, transposed);  // before the sink may update W
      codegen::bias_gradient(shape.stride(), delta(l), rows, sink_for(network_.bias(l).data()));
      codegen::kernel_gradient(shape, network_.spec().layers[l].regularizer, layer_input, rows, delta(l), kernel,
                               sink_for(kernel), threads);
      if (l == 0) continue;
      const LayerSpec& previous = network_.spec().layers[l - 1];
      const BatchNormParameters<float> norm = network_.batch_norm(l - 1);
      with_activation(previous.activation, [&]<class Act>(Act) {
        if constexpr (!std::is_same_v<Act, ctnn::detail::SoftmaxActivation>) {  // softmax is never a hidden layer
          if (norm) {  // dL/dy of the normalised outputs first; batch_norm_backward takes it through to dL/dz
            codegen::input_gradient<Linear>(shape, delta(l), rows, transposed, normalized_output(l - 1),
                                            static_cast<const float*>(mask(l - 1)), 0.0f, delta(l - 1), threads);
            codegen::batch_norm_backward<Act>(norm.stride, rows, normalized(l - 1), batch_statistics(l - 1), norm.data,
                                              activation(l - 1), previous.activity_l1, delta(l - 1), sink_for(norm.data),
                                              sink_for(norm.data + norm.stride));
          } else {
            codegen::input_gradient<Act>(shape, delta(l), rows, transposed, activation(l - 1),
                                         static_cast<const float*>(mask(l - 1)), previous.activity_l1, delta(l - 1),
                                         threads);
          }
        }
      });
    }
    return {sums.loss, penalty, sums.correct, rows};
  }

  float* gradient_of(float* parameter) { return gradient_data() + (parameter - parameters().data()); }
  float* state_of(float* parameter) { return optimizer_state().data() + (parameter - parameters().data()); }

  static std::size_t checked_batch(const Network& network, std::size_t batch_size) {
    if (batch_size == 0) throw Error("engine::TrainingStep: the mini-batch size must be at least 1");
    if (network.spec().layers.back().activation != ActivationKind::softmax)
      throw Error("engine::TrainingStep: every loss reads class probabilities, which needs a softmax output layer; "
                  "the output layer of " + network.describe() + " is not softmax");
    return batch_size;
  }
  static std::size_t transposed_floats(const Network& network) {
    std::size_t largest = 1;
    for (std::size_t l = 1; l < network.depth(); ++l)
      largest = std::max(largest, network.spec().layers[l].outputs * simd::padded(network.spec().layers[l].inputs));
    return largest;
  }
  void check_rows(std::size_t rows) const {
    if (rows == 0 || rows > batch_)
      throw Error("engine::TrainingStep: a batch of " + std::to_string(rows) + " rows does not fit; this step takes 1 to " +
                  std::to_string(batch_));
  }
  float* input() { return in_arena(input_.data(), 0); }
  float* activation(std::size_t l) { return in_arena(activations_[l].data(), 0); }
  // Layer l's dropout mask and dropped outputs; null when it has no dropout.
  float* mask(std::size_t l) { return buffer_or_null(masks_[l]); }
  float* dropped(std::size_t l) { return buffer_or_null(dropped_[l]); }
  // Layer l's batch statistics, normalised outputs (x_hat) and gamma * x_hat + beta; null when it has no
  // batch normalisation (normalized_output is then the activation).
  float* batch_statistics(std::size_t l) { return buffer_or_null(batch_statistics_[l]); }
  float* normalized(std::size_t l) { return buffer_or_null(normalized_[l]); }
  float* normalized_output(std::size_t l) {
    return normalized_output_[l].bytes() ? in_arena(normalized_output_[l].data(), 0) : activation(l);
  }
  static float* buffer_or_null(Arena& arena) { return arena.bytes() ? in_arena(arena.data(), 0) : nullptr; }
  // What layer l reads: the mini-batch, or the previous layer's outputs (after its batch
  // normalisation and dropout).
  const float* input_of(std::size_t l) {
    if (l == 0) return input();
    return mask(l - 1) ? dropped(l - 1) : normalized_output(l - 1);
  }
  float* delta(std::size_t l) {
    return in_arena(deltas_.data(), 0) + network_.layout().pingpong_offset(l, batch_);
  }
  float* gradient_data() { return in_arena(gradients_.data(), 0); }

  Network& network_;
  std::size_t batch_;
  Arena input_, labels_, gradients_, optimizer_state_, deltas_, transposed_;
  std::vector<Arena> activations_, masks_, dropped_, batch_statistics_, normalized_, normalized_output_;
  Loss loss_;
  std::uint64_t dropout_seed_ = 0, steps_ = 0;
};

// The training step fit() uses for an engine network (found by argument-dependent lookup).
template <std::size_t Batch>
TrainingStep training_step(Network& network) {
  return TrainingStep(network, Batch);
}

}  // namespace ctnn::engine
