// One training step of an engine::Network at a mini-batch size chosen at run time: the same
// interface as the generated TrainingStep<Net, Batch>, with buffers allocated when it is built.
// It walks the layers through the protocol; the backward steps of element-wise layers (dropout
// masks, activations) are fused into the kernel that computes the gradient they apply to.
#pragma once

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "../codegen/arena.hpp"
#include "../codegen/backward_epilogue.hpp"
#include "../codegen/batch_result.hpp"
#include "../codegen/gather_rows.hpp"
#include "../codegen/gradient_sinks.hpp"
#include "../codegen/loss_kernels.hpp"
#include "../codegen/optimizer_update.hpp"
#include "../codegen/process_share.hpp"
#include "../error.hpp"
#include "../layers/backward_chain.hpp"
#include "../layers/derived.hpp"
#include "../layers/parameter_shares.hpp"
#include "network.hpp"

namespace ctnn::engine {

class TrainingStep {
 public:
  TrainingStep(Network& network, std::size_t batch_size)
      : network_(network),
        batch_(checked_batch(network, batch_size)),
        input_stride_(layers::batch_input_stride(network.input_shape(), network.traits(0))),
        input_(batch_size * input_stride_ * sizeof(float)),
        labels_(batch_size * sizeof(std::int32_t)),
        gradients_(network.parameters().size() * sizeof(float)),
        optimizer_state_(optimizer_state_slots * network.parameters().size() * sizeof(float)) {
    const std::size_t depth = network.layer_count();
    for (std::size_t i = 0; i < depth; ++i)
      wants_input_gradient_.push_back(layers::passes_gradient(i, [&](std::size_t j) { return network.tensors(j); }));
    std::size_t step_floats = 0, widest = 0;
    scratch_.resize(depth);
    for (std::size_t i = 0; i < depth; ++i) {
      // A layer that passes its input through in training writes nowhere (its output is its input's).
      const bool passes_through = network.traits(i).identity_in_training;
      if (passes_through && (i == 0 ? input_stride_ : network.output_stride(i - 1)) != network.output_stride(i))
        throw Error("engine::TrainingStep: layer " + std::to_string(i) + " (" + std::string(network.layer(i).keras_type()) +
                    ") passes its input through in training but lays its rows out otherwise");
      output_owner_.push_back(layers::training_output_owner(i, [&](std::size_t j) { return network.traits(j); }));
      outputs_.emplace_back(passes_through ? 0 : batch_size * network.output_stride(i) * sizeof(float));
      widest = std::max(widest, network.output_stride(i));
      std::size_t layer_step_floats = 0;
      for (const layers::Scratch& s : network.layer(i).scratch(network.input_shape(i))) {
        if (s.lifetime == layers::Lifetime::kept) kept_.emplace_back((batch_size * s.floats_per_row + s.floats) * sizeof(float));
        else if (wants_input_gradient_[i] || !s.input_gradient_only)
          layer_step_floats += simd::padded(batch_size * s.floats_per_row + s.floats);
      }
      step_floats = std::max(step_floats, layer_step_floats);
    }
    step_scratch_ = Arena(std::max<std::size_t>(step_floats, 1) * sizeof(float));
    // Pointers to every layer's scratch buffers, in the order each lists them.
    for (std::size_t i = 0, kept = 0; i < depth; ++i) {
      float* step = in_arena(step_scratch_.data(), 0);
      for (const layers::Scratch& s : network.layer(i).scratch(network.input_shape(i))) {
        if (s.lifetime == layers::Lifetime::kept) {
          scratch_[i].push_back(in_arena(kept_[kept++].data(), 0));
        } else if (wants_input_gradient_[i] || !s.input_gradient_only) {
          scratch_[i].push_back(step);
          step += simd::padded(batch_size * s.floats_per_row + s.floats);
        } else {
          scratch_[i].push_back(nullptr);
        }
      }
    }
    // Gradients of the layers' outputs: two buffers, each layer's gradient in the one its output's is
    // not, except through layers that work in place.
    for (Arena& buffer : gradient_buffers_) buffer = Arena(batch_size * widest * sizeof(float));
    gradient_slot_.assign(depth, 0);
    layers::assign_gradient_slots(depth, [&](std::size_t i) { return network.traits(i); }, gradient_slot_);
    random_streams_.assign(depth, 0);
    layers::assign_random_streams(depth, [&](std::size_t i) { return network.traits(i).draws_random_numbers; }, random_streams_);
    // The element-wise steps below each layer: fused into its kernel where they fit its form, else
    // one pass each after it (layers/backward_chain.hpp).
    backward_plans_.resize(depth);
    for (std::size_t i = 1; i < depth; ++i) {
      if (!wants_input_gradient_[i]) continue;
      const layers::StepChain chain = layers::steps_below(
          i, [&](std::size_t j) { return network.layer(j).backward_steps(); }, [&](std::size_t j) { return network.traits(j); });
      layers::FusedForm form = layers::fuse(chain);
      backward_plans_[i].fused = resolve(chain, form);
      for (std::size_t s = form.count; s < chain.size(); ++s)
        backward_plans_[i].passes.push_back(resolve(chain, layers::fuse(chain, s, s + 1)));
    }
  }

  // Dropout masks are drawn from this seed and the number of steps since it was set.
  void seed_dropout(std::uint64_t seed, std::uint64_t steps_done = 0) { dropout_seed_ = seed, steps_ = steps_done; }
  // The loss the next steps minimise (sparse categorical cross-entropy until set).
  void set_loss(const Loss& loss) { check_loss(loss), loss_ = loss; }
  const Loss& loss() const { return loss_; }

  std::size_t batch_size() const { return batch_; }

  // Copies the samples named by `indices` (at most batch_size() of them).
  void load_batch(const float* images, const std::uint8_t* labels, std::span<const std::uint32_t> indices) {
    check_rows(indices.size());
    codegen::gather_rows(images, network_.input_size(), indices, in_arena(input_.data(), 0), network_.threads(),
                         input_stride_);
    auto* y = in_arena<std::int32_t>(labels_.data(), 0);
    for (std::size_t r = 0; r < indices.size(); ++r) y[r] = labels[indices[r]];
  }

  // Forward and backward over the first `rows` samples of the loaded batch: fills the gradient
  // buffers and returns the batch's loss and correct count.
  BatchResult compute_gradients(std::size_t rows) { return forward_backward(rows, nullptr); }

  // The same, applying update(w, g, state) to every vector of parameters as soon as its gradient is
  // finished: fused for an OptimizerUpdate, after the backward pass for any other update.
  // With store_gradients, only stores them (for apply_update after an exchange).
  template <class Update>
  BatchResult train_batch(std::size_t rows, const Update& update, bool store_gradients = false) {
    if (store_gradients) return compute_gradients(rows);
    if constexpr (std::is_same_v<Update, OptimizerUpdate>) {
      return forward_backward(rows, &update);
    } else {
      BatchResult result = compute_gradients(rows);
      if (std::isfinite(result.loss())) result.finite_gradients = apply_update(update);
      return result;
    }
  }

  // The update alone, over the stored gradients (codegen::apply_update): the last phase of a step
  // run in phases.
  template <class Update>
  bool apply_update(const Update& update) {
    return codegen::apply_update(update, parameters(), gradient_data(), optimizer_state().data());
  }

  // Shares the next steps' work with the other processes of `collective` (nullptr: none; see
  // codegen/process_share.hpp). The steps must then store their gradients (train_batch with
  // store_gradients), and gather_gradients() completes them before the update.
  void share_work(Collective* collective) {
    collective_ = collective;
    gradient_shares_.clear();
    if (collective_)
      gradient_shares_ = layers::parameter_shares(
          collective_->share(), network_.layer_count(), network_.parameters().size(),
          [&](std::size_t i) { return network_.tensors(i); }, [&](std::size_t i) { return network_.traits(i); },
          [&](std::size_t i) { return network_.parameter_offset(i); });
  }
  // Every process's part of the stored gradients, gathered: the gradients of the whole batch.
  void gather_gradients() {
    if (collective_) collective_->gather_ranges(gradients(), gradient_shares_);
  }

  std::span<float> parameters() { return network_.parameters(); }
  std::span<float> gradients() { return {gradient_data(), network_.parameters().size()}; }
  // All optimiser state: optimizer_state_slots arrays, optimizer_state_stride() floats apart.
  std::span<float> optimizer_state() {
    return {in_arena(optimizer_state_.data(), 0), optimizer_state_slots * optimizer_state_stride()};
  }
  std::size_t optimizer_state_stride() const { return network_.parameters().size(); }

  // The gradient of tensor k of layer i, laid out as the tensor.
  MatrixView<const float> tensor_gradient(std::size_t i, std::size_t k) {
    const MatrixView<float> t = network_.tensor(i, k);
    return {gradient_data() + (t.data - parameters().data()), t.rows, t.cols, t.stride};
  }
  // Layer i's outputs in the last step (rows x padded outputs), and its scratch buffer k.
  MatrixView<const float> output(std::size_t i, std::size_t rows) {
    output_owner_.at(i);  // std::out_of_range past the last layer
    return {output_data(i), rows, network_.output_shape(i).elements(), network_.output_stride(i)};
  }
  const float* scratch(std::size_t i, std::size_t k) const { return scratch_.at(i).at(k); }

 private:
  BatchResult forward_backward(std::size_t rows, const OptimizerUpdate* update) {
    check_rows(rows);
    const std::size_t depth = network_.layer_count(), last = depth - 1;
    double penalty = network_.regularization_penalty();  // on the weights of this forward pass
    const ProcessShare share = collective_ ? collective_->share() : ProcessShare{};
    for (std::size_t i = 0; i < depth; ++i) {
      LayerIo layer_io = io(i, rows, &penalty);
      if (network_.traits(i).shares_work && !share.whole()) {
        const IndexRange mine = share.rows(rows);
        layer_io.rows = mine.size();
        layer_io.input += mine.begin * layer_io.input_stride;
        layer_io.output += mine.begin * layer_io.output_stride;
        network_.layer(i).forward_training(layer_io);
        collective_->gather_rows(output_data(i), network_.output_stride(i), rows);
      } else {
        network_.layer(i).forward_training(layer_io);
      }
    }
    ++steps_;
    const codegen::LossSums sums =
        codegen::loss_delta(loss_, network_.output_size(), network_.output_stride(last), output_data(last),
                            in_arena<std::int32_t>(labels_.data(), 0), rows, gradient(last));
    // A loss that is not finite ends training (fit throws) before the backward pass updates anything:
    // the model keeps the weights of the last good step.
    if (!std::isfinite(sums.loss + penalty)) return {sums.loss, penalty, sums.correct, rows};

    std::atomic<bool> non_finite{false};
    const ParameterSinks sinks{parameters().data(), gradient_data(), optimizer_state().data(), update, &non_finite};
    for (std::size_t i = depth; i-- > 0;) {
      if (network_.traits(i).elementwise_backward) continue;  // applied by the layer above (see below)
      float* input_gradient = wants_input_gradient_[i] ? gradient(i - 1) : nullptr;
      const BackwardPlan& plan = backward_plans_[i];
      LayerIo layer_io = io(i, rows, nullptr);
      const bool shared = network_.traits(i).shares_work && !share.whole();
      if (shared) layer_io.share = share;
      network_.layer(i).backward(layer_io, gradient(i), input_gradient, plan.fused, sinks);
      if (shared && input_gradient) collective_->gather_rows(input_gradient, network_.output_stride(i - 1), rows);
      for (const FusedSteps& pass : plan.passes)
        pass.visit([&](const auto& epilogue) {
          codegen::apply_backward_steps(epilogue, network_.output_stride(i - 1), rows, input_gradient);
        });
    }
    return {sums.loss, penalty, sums.correct, rows, !non_finite.load(std::memory_order_relaxed)};
  }

  // The buffers a fused form reads.
  FusedSteps resolve(const layers::StepChain& chain, const layers::FusedForm& form) {
    const auto source = [&](std::size_t s) -> const float* {
      if (s == layers::FusedForm::none) return nullptr;
      const layers::LocatedStep& located = chain[s];
      return located.step.source.output ? output_data(located.layer) : scratch_[located.layer].at(located.step.source.scratch);
    };
    return {source(form.mask), form.activity_l1, form.activation, source(form.activation_output)};
  }

  LayerIo io(std::size_t i, std::size_t rows, double* penalty) {
    return {.rows = rows,
            .threads = network_.threads(),
            .input_shape = network_.input_shape(i),
            .output_shape = network_.output_shape(i),
            .input_stride = i == 0 ? input_stride_ : network_.output_stride(i - 1),
            .output_stride = network_.output_stride(i),
            .input = i == 0 ? in_arena(input_.data(), 0) : output_data(i - 1),
            .output = output_data(i),
            .parameters = parameters().data() + network_.parameter_offset(i),
            .scratch = scratch_[i].data(),
            .penalty = penalty,
            .seed = dropout_seed_,
            .step = steps_,
            .random_stream = random_streams_[i]};
  }

  static std::size_t checked_batch(const Network& network, std::size_t batch_size) {
    if (batch_size == 0) throw Error("engine::TrainingStep: the mini-batch size must be at least 1");
    if (!network.traits(network.layer_count() - 1).produces_probabilities)
      throw Error("engine::TrainingStep: every loss reads class probabilities, which needs a softmax output layer; "
                  "the output layer of " + network.describe() + " is not softmax");
    return batch_size;
  }
  void check_rows(std::size_t rows) const {
    if (rows == 0 || rows > batch_)
      throw Error("engine::TrainingStep: a batch of " + std::to_string(rows) + " rows does not fit; this step takes 1 to " +
                  std::to_string(batch_));
  }
  float* output_data(std::size_t i) {
    const std::size_t owner = output_owner_[i];
    return in_arena(owner == layers::training_input_batch ? input_.data() : outputs_[owner].data(), 0);
  }
  float* gradient(std::size_t i) { return in_arena(gradient_buffers_[gradient_slot_[i]].data(), 0); }
  float* gradient_data() { return in_arena(gradients_.data(), 0); }

  Network& network_;
  Collective* collective_ = nullptr;
  std::vector<std::vector<IndexRange>> gradient_shares_;  // layers::parameter_shares
  std::size_t batch_, input_stride_;
  Arena input_, labels_, gradients_, optimizer_state_, step_scratch_{0};
  std::vector<Arena> outputs_, kept_;
  std::vector<std::vector<float*>> scratch_;
  Arena gradient_buffers_[2]{Arena(0), Arena(0)};
  std::vector<std::size_t> gradient_slot_, random_streams_, output_owner_;  // output_owner_: layers::training_output_owner
  std::vector<bool> wants_input_gradient_;
  struct BackwardPlan {
    FusedSteps fused;                // applied by the layer's kernel
    std::vector<FusedSteps> passes;  // what did not fit: one pass each, after it
  };
  std::vector<BackwardPlan> backward_plans_;
  Loss loss_;
  std::uint64_t dropout_seed_ = 0, steps_ = 0;
};

// The training step fit() uses for an engine network (found by argument-dependent lookup).
template <std::size_t Batch>
TrainingStep training_step(Network& network) {
  return TrainingStep(network, Batch);
}

}  // namespace ctnn::engine
