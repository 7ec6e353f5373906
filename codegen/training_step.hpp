// One training step of a Net at mini-batch size Batch: gather a batch, forward, backward.
// Every buffer it touches is in the model's arena, grown once to training_plan<Net, Batch>;
// a step allocates nothing.
#pragma once

#include <boost/hana/for_each.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>

#include "../error.hpp"
#include "backward_epilogue.hpp"
#include "batch_norm.hpp"
#include "batch_result.hpp"
#include "dense_backward.hpp"
#include "dropout.hpp"
#include "forward_pass.hpp"
#include "gather_rows.hpp"
#include "gradient_sinks.hpp"
#include "loss_kernels.hpp"
#include "model.hpp"

namespace ctnn {

template <NetType N, std::size_t Batch>
class TrainingStep : public codegen::GradientSinks<TrainingStep<N, Batch>> {
  friend class codegen::GradientSinks<TrainingStep>;
  static_assert(Batch > 0, "ctnn: the mini-batch size must be at least 1");
  static_assert(std::is_same_v<typename N::template layer<N::depth - 1>::activation, detail::SoftmaxActivation>,
                "ctnn: every loss reads class probabilities, which needs a Softmax<N> output layer");
  using L = codegen::Layout<N>;
  static constexpr auto& plan = training_plan<N, Batch>;
  static constexpr std::size_t last = N::depth - 1;

 public:
  static constexpr std::size_t batch_size() { return Batch; }
  std::size_t threads() const { return model_.threads(); }

  explicit TrainingStep(Model<N>& model) : model_(model) { model_.reserve_arena(plan.bytes); }

  // The loss the next steps minimise (sparse categorical cross-entropy until set).
  void set_loss(const Loss& loss) { check_loss(loss), loss_ = loss; }
  const Loss& loss() const { return loss_; }

  // Dropout masks are drawn from this seed and the number of steps since it was set.
  void seed_dropout(std::uint64_t seed) { dropout_seed_ = seed, steps_ = 0; }

  // Copies the samples named by `indices` (at most Batch of them) into the arena.
  void load_batch(const float* images, const std::uint8_t* labels, std::span<const std::uint32_t> indices) {
    check_rows(indices.size());
    codegen::gather_rows(images, N::input_size, indices, buffer<BufferRole::input_batch>(), model_.threads());
    std::int32_t* y = label_buffer();
    for (std::size_t r = 0; r < indices.size(); ++r) y[r] = labels[indices[r]];
  }

  // Parameters, gradients and optimiser state as flat arrays of the same layout, padding included
  // (padding stays zero under any element-wise update).
  std::span<float> parameters() { return region<BufferRole::kernel>(); }
  std::span<float> gradients() { return region<BufferRole::kernel_gradient>(); }
  // All optimiser state: optimizer_state_slots arrays, optimizer_state_stride() floats apart.
  std::span<float> optimizer_state() {
    return {buffer<BufferRole::optimizer_state_1>(), optimizer_state_slots * state_stride};
  }
  static constexpr std::size_t optimizer_state_stride() { return state_stride; }

  template <std::size_t I>
  MatrixView<const float> kernel_gradient() {
    return {buffer<BufferRole::kernel_gradient, I>(), N::layer_inputs[I], N::layer_outputs[I], L::stride[I]};
  }
  template <std::size_t I>
  std::span<const float> bias_gradient() {
    return {buffer<BufferRole::bias_gradient, I>(), N::layer_outputs[I]};
  }
  // The gradients of the BatchNorm after layer I, as BatchNormParameters: gamma's and beta's rows
  // (the moving statistics' rows are zero: they are not trained).
  template <std::size_t I>
  BatchNormParameters<const float> batch_norm_gradient() {
    static_assert(N::template layer<I>::has_batch_norm, "batch_norm_gradient<I>: layer I has no BatchNorm after it");
    return {buffer<BufferRole::batch_norm_gradient, I>(), N::layer_outputs[I], L::stride[I]};
  }
  // Layer I's outputs for the current batch (rows x outputs, padded rows), before its batch norm and dropout.
  template <std::size_t I>
  MatrixView<const float> layer_output(std::size_t rows) {
    return {activation<I>(), rows, N::layer_outputs[I], L::stride[I]};
  }
  // The dropout mask of layer I in the last step (0 or 1 / (1 - rate) per output).
  template <std::size_t I>
  MatrixView<const float> dropout_mask(std::size_t rows) {
    static_assert(N::template layer<I>::has_dropout, "dropout_mask<I>: layer I has no Dropout after it");
    return {buffer<BufferRole::dropout_mask, I>(), rows, N::layer_outputs[I], L::stride[I]};
  }

 private:
  static void check_rows(std::size_t rows) {
    if (rows == 0 || rows > Batch)
      throw Error("TrainingStep: a batch of " + std::to_string(rows) + " rows does not fit; this step takes 1 to " +
                  std::to_string(Batch));
  }

  // sink_for(parameter) gives the gradient sink of the kernel or bias that starts at `parameter`.
  template <class SinkFor>
  BatchResult forward_backward(std::size_t rows, SinkFor&& sink_for) {
    check_rows(rows);
    // On the weights the forward pass uses, before any update.
    double penalty = model_.regularization_penalty();
    const std::size_t threads = model_.threads();
    boost::hana::for_each(N::layer_indices, [&](auto index) {
      constexpr std::size_t l = decltype(index)::value;
      using layer = typename N::template layer<l>;
      codegen::dense_forward<typename layer::activation>(L::template shape<l>(), input_of<l>(), rows,
                                                         codegen::kernel_in<N, l>(model_.arena()),
                                                         codegen::bias_in<N, l>(model_.arena()), activation<l>(), threads);
      if constexpr (layer::has_batch_norm)
        codegen::batch_norm_forward(codegen::fixed<L::stride[l]>{}, rows, activation<l>(),
                                    codegen::batch_norm_in<N, l>(model_.arena()), layer::batch_norm_momentum,
                                    batch_norm_epsilon, buffer<BufferRole::normalized, l>(),
                                    buffer<BufferRole::normalized_output, l>(), buffer<BufferRole::batch_statistics, l>());
      if constexpr (layer::has_dropout)
        codegen::dropout_forward(layer::dropout_rate, codegen::fixed<layer::outputs>{}, codegen::fixed<L::stride[l]>{}, rows,
                                 normalized_output<l>(), buffer<BufferRole::dropout_mask, l>(),
                                 buffer<BufferRole::dropped_output, l>(), dropout_seed_, steps_, l);
      if constexpr (layer::activity_l1 > 0.0f)
        penalty += codegen::activity_penalty(layer::activity_l1, codegen::fixed<layer::outputs>{},
                                             codegen::fixed<L::stride[l]>{}, activation<l>(), rows);
    });
    ++steps_;
    const codegen::LossSums sums =
        codegen::loss_delta(loss_, codegen::fixed<N::output_size>{}, codegen::fixed<L::stride[last]>{}, activation<last>(),
                            label_buffer(), rows, delta<last>());
    // A loss that is not finite ends training (fit throws) before the backward pass updates anything:
    // the model keeps the weights of the last good step.
    if (!std::isfinite(sums.loss + penalty)) return {sums.loss, penalty, sums.correct, rows};

    boost::hana::for_each(N::layer_indices, [&](auto index) {
      constexpr std::size_t l = last - decltype(index)::value;  // from the output layer back
      using layer = typename N::template layer<l>;
      const float* layer_input = input_of<l>();
      constexpr auto shape = L::template shape<l>();
      float* kernel = buffer<BufferRole::kernel, l>();
      // W^T is packed before the kernel's sink may update W: the input gradient needs the old weights.
      float* transposed = buffer<BufferRole::transposed_kernel>();
      if constexpr (l > 0) codegen::transpose_kernel(shape, kernel, transposed);
      codegen::bias_gradient(shape.stride(), delta<l>(), rows, sink_for(buffer<BufferRole::bias, l>()));
      codegen::kernel_gradient(shape, typename layer::regularizer{}, layer_input, rows, delta<l>(), kernel, sink_for(kernel),
                               threads);
      if constexpr (l > 0) {
        using previous = typename N::template layer<l - 1>;
        const auto previous_mask = [this] {
          if constexpr (previous::has_dropout) return static_cast<const float*>(buffer<BufferRole::dropout_mask, l - 1>());
          else return nullptr;
        }();
        // The activation's derivative and the activity penalty of layer l - 1, on its stored outputs.
        const codegen::BackwardEpilogue<typename previous::activation, std::nullptr_t> previous_activation{
            nullptr, previous::activity_l1, activation<l - 1>()};
        if constexpr (previous::has_batch_norm) {
          // dL/dy of the normalised outputs first; batch_norm_backward takes it through to dL/dz.
          codegen::input_gradient(shape, delta<l>(), rows, transposed,
                                  codegen::BackwardEpilogue<Linear, decltype(previous_mask)>{previous_mask},
                                  delta<l - 1>(), threads);
          float* parameters = codegen::batch_norm_in<N, l - 1>(model_.arena());
          codegen::batch_norm_backward(codegen::fixed<L::stride[l - 1]>{}, rows, buffer<BufferRole::normalized, l - 1>(),
                                       buffer<BufferRole::batch_statistics, l - 1>(), parameters, previous_activation,
                                       delta<l - 1>(), sink_for(parameters), sink_for(parameters + L::stride[l - 1]));
        } else {
          codegen::input_gradient(shape, delta<l>(), rows, transposed,
                                  codegen::BackwardEpilogue<typename previous::activation, decltype(previous_mask)>{
                                      previous_mask, previous::activity_l1, activation<l - 1>()},
                                  delta<l - 1>(), threads);
        }
      }
    });
    return {sums.loss, penalty, sums.correct, rows};
  }

  // The gradient and the optimiser state of a parameter: the same place in regions of the same layout.
  float* gradient_of(float* parameter) { return gradients().data() + (parameter - parameters().data()); }
  float* state_of(float* parameter) { return optimizer_state().data() + (parameter - parameters().data()); }

  template <BufferRole Role, std::size_t Layer = no_layer>
  float* buffer() {
    constexpr std::size_t offset = plan.offset(Role, Layer);
    return in_arena(model_.arena(), offset);
  }
  std::int32_t* label_buffer() {
    constexpr std::size_t offset = plan.offset(BufferRole::labels);
    return in_arena<std::int32_t>(model_.arena(), offset);
  }
  template <std::size_t Layer>
  float* activation() { return buffer<BufferRole::activation, Layer>(); }
  // Layer l's outputs after its batch normalisation, if any (before its dropout).
  template <std::size_t Layer>
  float* normalized_output() {
    if constexpr (N::template layer<Layer>::has_batch_norm) return buffer<BufferRole::normalized_output, Layer>();
    else return activation<Layer>();
  }
  // What layer l reads: the mini-batch, or the previous layer's outputs (after its batch
  // normalisation and dropout).
  template <std::size_t Layer>
  float* input_of() {
    if constexpr (Layer == 0) return buffer<BufferRole::input_batch>();
    else if constexpr (N::template layer<Layer - 1>::has_dropout) return buffer<BufferRole::dropped_output, Layer - 1>();
    else return normalized_output<Layer - 1>();
  }
  template <std::size_t Layer>
  float* delta() { return buffer<BufferRole::deltas_pingpong>() + L::pingpong_offset(Layer, Batch); }

  // The kernel/bias/batch-norm buffers of every layer for the given kernel role form one contiguous
  // region (its alignment gaps included: they stay zero).
  static constexpr std::size_t region_floats =
      (plan.offset(BufferRole::prediction_pingpong) - plan.offset(BufferRole::kernel, 0)) / sizeof(float);
  static_assert(plan.offset(BufferRole::kernel_gradient, 0) - plan.offset(BufferRole::kernel, 0) ==
                        plan.offset(BufferRole::bias_gradient, last) - plan.offset(BufferRole::bias, last) &&
                    plan.offset(BufferRole::optimizer_state_1) - plan.offset(BufferRole::kernel_gradient, 0) >=
                        region_floats * sizeof(float),
                "gradients must repeat the parameters' layout");
  static constexpr std::size_t state_stride =
      (plan.offset(BufferRole::optimizer_state_2) - plan.offset(BufferRole::optimizer_state_1)) / sizeof(float);
  static_assert(state_stride >= region_floats &&
                    plan.offset(BufferRole::optimizer_state_3) - plan.offset(BufferRole::optimizer_state_2) ==
                        state_stride * sizeof(float) &&
                    optimizer_state_slots == 3,
                "the optimiser's state arrays must each hold all parameters, equally spaced");
  template <BufferRole FirstKernel>
  std::span<float> region() { return {buffer<FirstKernel, 0>(), region_floats}; }

  Model<N>& model_;
  Loss loss_;
  std::uint64_t dropout_seed_ = 0, steps_ = 0;
};

// The training step fit() uses for a generated model.
template <std::size_t Batch, NetType N>
TrainingStep<N, Batch> training_step(Model<N>& model) {
  return TrainingStep<N, Batch>(model);
}

}  // namespace ctnn
