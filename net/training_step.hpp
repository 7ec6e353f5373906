// One training step of a Net at mini-batch size Batch: gather a batch, forward, backward. It walks
// the layers at compile time through the protocol, as engine::TrainingStep walks them at run time,
// with the same buffers, the same fusion of backward steps and so the same numbers; here every
// size, every buffer's offset and every fused step is a constant. Every buffer it touches is in the
// model's arena, grown once to training_plan<Net, Batch>: a step allocates nothing.
#pragma once

#include <boost/hana/for_each.hpp>
#include <boost/hana/range.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "../codegen/backward_epilogue.hpp"
#include "../codegen/batch_result.hpp"
#include "../codegen/gather_rows.hpp"
#include "../codegen/gradient_sinks.hpp"
#include "../codegen/loss_kernels.hpp"
#include "../codegen/process_share.hpp"
#include "../error.hpp"
#include "../layers/backward_chain.hpp"
#include "../layers/derived.hpp"
#include "../layers/parameter_shares.hpp"
#include "layer_io.hpp"
#include "memory_plan.hpp"
#include "model.hpp"

namespace ctnn {

template <NetType N, std::size_t Batch>
class TrainingStep : public codegen::GradientSinks<TrainingStep<N, Batch>> {
  friend class codegen::GradientSinks<TrainingStep>;
  static_assert(Batch > 0, "ctnn: the mini-batch size must be at least 1");
  static_assert(N::traits[N::layer_count - 1].produces_probabilities,
                "ctnn: every loss reads class probabilities, which needs a Softmax<N> output layer");
  static constexpr auto& plan = training_plan<N, Batch>;
  using P = PingPong<N>;
  static constexpr std::size_t count = N::layer_count, last = count - 1;
  // A layer that passes its input through in training reads and writes its input's buffer.
  static_assert(
      [] {
        for (std::size_t i = 0; i < count; ++i)
          if (N::traits[i].identity_in_training && (i == 0 ? input_batch_stride<N> : N::output_stride(i - 1)) != N::output_stride(i))
            return false;
        return true;
      }(),
      "ctnn: a layer that passes its input through in training (identity_in_training) must keep its rows' layout");

 public:
  static constexpr std::size_t batch_size() { return Batch; }
  std::size_t threads() const { return model_.threads(); }

  explicit TrainingStep(Model<N>& model) : model_(model) { model_.reserve_arena(plan.bytes); }

  // The loss the next steps minimise (sparse categorical cross-entropy until set).
  void set_loss(const Loss& loss) { check_loss(loss), loss_ = loss; }
  const Loss& loss() const { return loss_; }

  // Dropout masks are drawn from this seed and the number of steps since it was set (steps_done when
  // a run resumes).
  void seed_dropout(std::uint64_t seed, std::uint64_t steps_done = 0) { dropout_seed_ = seed, steps_ = steps_done; }

  // Shares the next steps' work with the other processes of `collective` (nullptr: none; see
  // codegen/process_share.hpp). The steps must then store their gradients (train_batch with
  // store_gradients), and gather_gradients() completes them before the update.
  void share_work(Collective* collective) {
    collective_ = collective;
    gradient_shares_.clear();
    if (collective_)
      gradient_shares_ = layers::parameter_shares(
          collective_->share(), count, N::parameter_floats, [](std::size_t i) { return N::tensors[i]; },
          [](std::size_t i) { return N::traits[i]; }, [](std::size_t i) { return N::parameter_offsets[i]; });
  }
  // Every process's part of the stored gradients, gathered: the gradients of the whole batch.
  void gather_gradients() {
    if (collective_) collective_->gather_ranges(gradients(), gradient_shares_);
  }

  // Copies the samples named by `indices` (at most Batch of them) into the arena.
  void load_batch(const float* images, const std::uint8_t* labels, std::span<const std::uint32_t> indices) {
    check_rows(indices.size());
    codegen::gather_rows(images, codegen::fixed<N::input_size>{}, indices, buffer(BufferRole::input_batch), model_.threads(),
                         input_batch_stride<N>);
    std::int32_t* y = label_buffer();
    for (std::size_t r = 0; r < indices.size(); ++r) y[r] = labels[indices[r]];
  }

  // Parameters, gradients and optimiser state as flat arrays of the same layout, padding included
  // (padding stays zero under any element-wise update).
  std::span<float> parameters() { return model_.parameters(); }
  std::span<float> gradients() { return {buffer(BufferRole::gradients), N::parameter_floats}; }
  // All optimiser state: optimizer_state_slots arrays, optimizer_state_stride() floats apart.
  std::span<float> optimizer_state() { return {buffer(BufferRole::optimizer_state), optimizer_state_slots * N::parameter_floats}; }
  static constexpr std::size_t optimizer_state_stride() { return N::parameter_floats; }

  // The gradient of tensor k of layer i, laid out as the tensor.
  MatrixView<const float> tensor_gradient(std::size_t i, std::size_t k) {
    const MatrixView<float> t = model_.tensor(i, k);
    return {gradient_of(t.data), t.rows, t.cols, t.stride};
  }
  // Layer i's outputs in the last step (rows x padded outputs), and its kept scratch buffer k.
  MatrixView<const float> output(std::size_t i, std::size_t rows) {
    return {output_data(i), rows, N::output_shapes[i].elements(), N::output_stride(i)};
  }
  const float* scratch(std::size_t i, std::size_t k) { return buffer(BufferRole::scratch, i, k); }

 private:
  // Each layer that draws random numbers gets a stream of its own, counted in order.
  static constexpr std::array<std::size_t, count> random_stream = [] {
    std::array<std::size_t, count> streams{};
    layers::assign_random_streams(count, [](std::size_t i) { return N::traits[i].draws_random_numbers; }, streams);
    return streams;
  }();
  // The element-wise steps below layer i (layers/backward_chain.hpp).
  template <std::size_t I>
  static constexpr layers::StepChain chain_below =
      layers::steps_below(I, [](std::size_t j) { return N::backward_steps[j]; }, [](std::size_t j) { return N::traits[j]; });

  static void check_rows(std::size_t rows) {
    if (rows == 0 || rows > Batch)
      throw Error("TrainingStep: a batch of " + std::to_string(rows) + " rows does not fit; this step takes 1 to " +
                  std::to_string(Batch));
  }

  // sink_for(parameter) gives the gradient sink of the parameter vectors that start at `parameter`.
  template <class SinkFor>
  BatchResult forward_backward(std::size_t rows, SinkFor&& sink_for) {
    check_rows(rows);
    double penalty = model_.regularization_penalty();  // on the weights of this forward pass
    const ProcessShare share = collective_ ? collective_->share() : ProcessShare{};
    boost::hana::for_each(N::layer_indices, [&](auto index) {
      constexpr std::size_t i = decltype(index)::value;
      float* scratch_buffers[layers::max_scratch];
      auto layer_io = io<i>(rows, scratch_buffers, &penalty);
      if constexpr (N::traits[i].shares_work) {
        if (!share.whole()) {
          const IndexRange mine = share.rows(rows);
          auto part = layer_io;
          part.rows = mine.size();
          part.input += mine.begin * part.input_stride;
          part.output += mine.begin * part.output_stride;
          std::get<i>(N::kinds).forward_training(part);
          collective_->gather_rows(output_data(i), N::output_stride(i), rows);
          return;
        }
      }
      std::get<i>(N::kinds).forward_training(layer_io);
    });
    ++steps_;
    const codegen::LossSums sums =
        codegen::loss_delta(loss_, codegen::fixed<N::output_size>{}, codegen::fixed<N::output_stride(last)>{},
                            output_data(last), label_buffer(), rows, gradient(last));
    // A loss that is not finite ends training (fit throws) before the backward pass updates anything:
    // the model keeps the weights of the last good step.
    if (!std::isfinite(sums.loss + penalty)) return {sums.loss, penalty, sums.correct, rows};

    boost::hana::for_each(N::layer_indices, [&](auto index) {
      constexpr std::size_t i = last - decltype(index)::value;  // from the output layer back
      if constexpr (!N::traits[i].elementwise_backward) backward<i>(rows, sink_for);
    });
    return {sums.loss, penalty, sums.correct, rows};
  }

  template <std::size_t I, class SinkFor>
  void backward(std::size_t rows, SinkFor& sink_for) {
    float* scratch_buffers[layers::max_scratch];
    auto layer_io = io<I>(rows, scratch_buffers, nullptr);
    const bool shared = N::traits[I].shares_work && collective_ && !collective_->share().whole();
    if (shared) layer_io.share = collective_->share();
    if constexpr (N::passes_gradient[I]) {
      constexpr layers::FusedForm form = layers::fuse(chain_below<I>);
      float* input_gradient = gradient(I - 1);
      const auto fused = epilogue<I, form>();
      net::BackwardIo<decltype(layer_io), SinkFor&, decltype(fused)> backward_io{layer_io, gradient(I), input_gradient,
                                                                                 fused, sink_for};
      std::get<I>(N::kinds).backward(backward_io);
      if (shared) collective_->gather_rows(input_gradient, N::output_stride(I - 1), rows);
      // What did not fit the layer's kernel: one pass each.
      boost::hana::for_each(boost::hana::make_range(boost::hana::size_c<form.count>, boost::hana::size_c<chain_below<I>.size()>),
                            [&](auto s) {
                              constexpr std::size_t first = decltype(s)::value;
                              constexpr layers::FusedForm one = layers::fuse(chain_below<I>, first, first + 1);
                              codegen::apply_backward_steps(epilogue<I, one>(), N::output_stride(I - 1), rows, input_gradient);
                            });
    } else {
      net::BackwardIo<decltype(layer_io), SinkFor&, codegen::NoBackwardSteps> backward_io{
          layer_io, gradient(I), nullptr, {}, sink_for};
      std::get<I>(N::kinds).backward(backward_io);
    }
  }

  // The kernel epilogue of a fused form of the steps below layer I, reading the buffers its steps
  // name; without a mask, statically none.
  template <std::size_t I, layers::FusedForm Form>
  auto epilogue() {
    const auto source = [&](std::size_t s) -> const float* {
      if (s == layers::FusedForm::none) return nullptr;
      const layers::LocatedStep& located = chain_below<I>[s];
      return located.step.source.output ? output_data(located.layer)
                                        : buffer(BufferRole::scratch, located.layer, located.step.source.scratch);
    };
    // A softmax's derivative is never a step (the loss gives its input's gradient): Linear stands for none.
    using Act = std::conditional_t<Form.activation == ActivationKind::softmax, Linear, activation_type<Form.activation>>;
    if constexpr (Form.mask == layers::FusedForm::none)
      return codegen::BackwardEpilogue<Act, std::nullptr_t>{nullptr, Form.activity_l1, source(Form.activation_output)};
    else
      return codegen::BackwardEpilogue<Act, const float*>{source(Form.mask), Form.activity_l1, source(Form.activation_output)};
  }

  template <std::size_t I>
  auto io(std::size_t rows, float** scratch_buffers, double* penalty) {
    constexpr std::size_t input_stride = I == 0 ? input_batch_stride<N> : N::output_stride(I - 1);
    float* step_scratch = step_scratch_data();
    for (std::size_t k = 0; k < N::scratch[I].size(); ++k) {
      const layers::Scratch& s = N::scratch[I][k];
      if (s.lifetime == layers::Lifetime::kept) {
        scratch_buffers[k] = buffer(BufferRole::scratch, I, k);
      } else if (N::passes_gradient[I] || !s.input_gradient_only) {
        scratch_buffers[k] = step_scratch;
        step_scratch += simd::padded(Batch * s.floats_per_row + s.floats);
      } else {
        scratch_buffers[k] = nullptr;
      }
    }
    return net::LayerIo<N, I, std::size_t, input_stride, Batch>{
        .rows = rows,
        .threads = model_.threads(),
        .input = I == 0 ? buffer(BufferRole::input_batch) : output_data(I - 1),
        .output = output_data(I),
        .parameters = model_.parameters().data() + N::parameter_offsets[I],
        .scratch = scratch_buffers,
        .penalty = penalty,
        .seed = dropout_seed_,
        .step = steps_,
        .random_stream = random_stream[I]};
  }

  float* buffer(BufferRole role, std::size_t layer = no_layer, std::size_t index = 0) {
    return in_arena(model_.arena(), plan.offset(role, layer, index));
  }
  std::int32_t* label_buffer() { return in_arena<std::int32_t>(model_.arena(), plan.offset(BufferRole::labels)); }
  float* output_data(std::size_t i) {
    const std::size_t owner = layers::training_output_owner(i, [](std::size_t j) { return N::traits[j]; });
    return owner == layers::training_input_batch ? buffer(BufferRole::input_batch) : buffer(BufferRole::output, owner);
  }
  static constexpr bool has_step_scratch = [] {
    for (std::size_t b = 0; b < plan.count; ++b)
      if (plan.buffers[b].role == BufferRole::step_scratch) return true;
    return false;
  }();
  float* step_scratch_data() {
    if constexpr (has_step_scratch) return buffer(BufferRole::step_scratch);
    else return nullptr;
  }
  // The gradient of layer i's output, in its ping-pong slot.
  float* gradient(std::size_t i) {
    return buffer(BufferRole::gradient_pingpong) +
           P::offset(P::gradient_slot[i], N::output_stride(i), Batch, P::gradient_floats_per_row);
  }
  // The gradient and the optimiser state of a parameter: the same place in regions of the same layout.
  float* gradient_of(const float* parameter) { return gradients().data() + (parameter - parameters().data()); }
  float* state_of(const float* parameter) { return optimizer_state().data() + (parameter - parameters().data()); }

  Model<N>& model_;
  Collective* collective_ = nullptr;
  std::vector<std::vector<IndexRange>> gradient_shares_;  // layers::parameter_shares
  Loss loss_;
  std::uint64_t dropout_seed_ = 0, steps_ = 0;
};

// The training step fit() uses for a generated model.
template <std::size_t Batch, NetType N>
TrainingStep<N, Batch> training_step(Model<N>& model) {
  return TrainingStep<N, Batch>(model);
}

}  // namespace ctnn
