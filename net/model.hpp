// Model<Net>: the parameters of a network in one planned arena, and prediction. Inference walks
// the layers at compile time: each layer kind's forward pass, with every size fixed.
#pragma once

#include <algorithm>
#include <boost/hana/for_each.hpp>
#include <cstddef>
#include <cstdio>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "../codegen/arena.hpp"
#include "../codegen/dense_backward.hpp"
#include "../codegen/matrix_view.hpp"
#include "../codegen/thread_pool.hpp"
#include "../dsl/random.hpp"
#include "../dsl/training_progress.hpp"
#include "../error.hpp"
#include "../layers/initialize.hpp"
#include "../layers/tensor_names.hpp"
#include "layer_io.hpp"
#include "memory_plan.hpp"
#include "net.hpp"

namespace ctnn {

template <NetType N>
class Model {
 public:
  using net = N;
  static constexpr std::size_t inputs = N::input_size;
  static constexpr std::size_t outputs = N::output_size;
  static constexpr std::size_t input_size() { return inputs; }
  static constexpr std::size_t output_size() { return outputs; }
  static std::string architecture() { return N::architecture(); }

  explicit Model(Seed seed = {}) : arena_(model_plan<N>.bytes) { initialize(seed); }

  // Threads for batched prediction and training (default: CTNN_NUM_THREADS, else the hardware's).
  // Results are the same for every count; single-sample prediction always runs on the caller's thread.
  void set_threads(std::size_t count) { threads_ = std::max<std::size_t>(1, count); }
  std::size_t threads() const { return threads_; }

  // Every tensor from its initialiser (layers/initialize.hpp): the same weights as engine::Network
  // of the same layers and seed.
  // Forgets what earlier fits left (training_progress()): the next fit starts as on a new model.
  void initialize(Seed seed) { layers::initialize_parameters(*this, seed), progress_ = {}; }

  // What the last fit() left for the next one (dsl/training_progress.hpp); reset it to forget it.
  TrainingProgress& training_progress() { return progress_; }
  const TrainingProgress& training_progress() const { return progress_; }

  // --- The layers, as the protocol describes them.
  static constexpr std::size_t layer_count() { return N::layer_count; }
  static constexpr std::string_view keras_type(std::size_t i) { return N::keras_types[i]; }
  static constexpr const layers::Tensors& tensors(std::size_t i) { return N::tensors[i]; }
  static constexpr Shape input_shape(std::size_t i) { return N::input_shape_of(i); }
  static constexpr const Shape& output_shape(std::size_t i) { return N::output_shapes[i]; }
  // Layer i's options when it is of kind Kind (nullptr otherwise).
  template <class Kind>
  static constexpr const Kind* layer_as(std::size_t i) {
    return N::template layer_as<Kind>(i);
  }
  static constexpr const layers::LayerTraits& traits(std::size_t i) { return N::traits[i]; }

  // --- The parameters, as the layers list them.
  // Tensor k of layer i, rows x columns with rows padded to vectors.
  MatrixView<float> tensor(std::size_t i, std::size_t k) {
    const layers::Tensor& t = N::tensors[i][k];
    return {parameter_data() + N::tensor_offset(i, k), t.rows, t.columns, simd::padded(t.columns)};
  }
  MatrixView<const float> tensor(std::size_t i, std::size_t k) const { return const_cast<Model&>(*this).tensor(i, k); }
  // A weight by its Keras name: weight("dense_1/kernel"), weight("batch_normalization/moving_mean").
  MatrixView<float> weight(std::string_view name) {
    const layers::TensorIndex at = layers::find_tensor(*this, name);
    return tensor(at.layer, at.tensor);
  }
  MatrixView<const float> weight(std::string_view name) const { return const_cast<Model&>(*this).weight(name); }
  // All parameters as one flat array, padding included (the optimiser's view).
  std::span<float> parameters() { return {parameter_data(), N::parameter_floats}; }
  std::span<const float> parameters() const { return {parameter_data(), N::parameter_floats}; }

  // --- Prediction.
  // Class probabilities of one sample; no allocation, safe to call from several threads at once.
  // A network whose layer outputs fit in single_sample_stack_bytes (an MLP's few KiB) runs on the
  // caller's stack, so concurrent callers run in parallel. A larger one (a CNN's feature maps are
  // hundreds of KiB, too much for a thread's stack) runs in the arena's prediction buffers, one
  // caller at a time.
  static constexpr std::size_t single_sample_stack_bytes = 16 * 1024;
  static constexpr bool predicts_on_stack =
      PingPong<N>::inference_floats_per_row * sizeof(float) <= single_sample_stack_bytes;
  void predict(const float* sample, float* probabilities) const {
    if constexpr (predicts_on_stack) {
      alignas(arena_alignment) float buffers[PingPong<N>::inference_floats_per_row];
      predict_one(sample, probabilities, buffers);
    } else {
      const std::lock_guard lock(prediction_lock_.mutex);
      predict_one(sample, probabilities, const_cast<float*>(prediction_buffers()));
    }
  }
  void predict(std::span<const float, inputs> sample, std::span<float, outputs> probabilities) const {
    predict(sample.data(), probabilities.data());
  }

  // Probabilities of `count` samples (count x inputs in, count x outputs out), in chunks of
  // prediction_rows through the arena's ping-pong buffers: no allocation, one caller at a time.
  void predict(const float* samples, std::size_t count, float* probabilities) {
    const std::lock_guard lock(prediction_lock_.mutex);  // the buffers single-sample prediction may use
    float* pingpong = prediction_buffers();
    for (std::size_t first = 0; first < count; first += prediction_rows) {
      const std::size_t rows = std::min(prediction_rows, count - first);
      const float* last = run_inference(samples + first * inputs, rows, threads_, [&](auto index) {
        constexpr std::size_t i = decltype(index)::value;
        return pingpong + PingPong<N>::offset(PingPong<N>::inference_slot[i + 1], N::output_stride(i), prediction_rows,
                                              PingPong<N>::inference_floats_per_row);
      });
      for (std::size_t r = 0; r < rows; ++r)
        std::copy_n(last + r * N::output_stride(N::layer_count - 1), outputs, probabilities + (first + r) * outputs);
    }
  }

  // Inference over `rows` samples (rows x inputs). buffer_for(hana::size_c<i>) says where layer i
  // writes (rows x N::output_stride(i)) when it cannot write over its input (or, with
  // EveryLayerApart, always); returns where the last layer's outputs are.
  template <bool EveryLayerApart = false, codegen::Extent Rows, class BufferFor>
  const float* run_inference(const float* x, Rows rows, std::size_t threads, BufferFor&& buffer_for) const {
    const float* current = x;
    boost::hana::for_each(N::layer_indices, [&](auto index) {
      constexpr std::size_t i = decltype(index)::value;
      using P = PingPong<N>;
      if constexpr (!N::traits[i].identity_in_inference) {
        float* output;
        if constexpr (N::traits[i].in_place_inference && P::inference_slot[i] != P::none && !EveryLayerApart)
          output = const_cast<float*>(current);
        else
          output = buffer_for(index);
        ctnn::net::LayerIo<N, i, Rows, P::inference_input_stride[i]> io{
            .rows = rows, .threads = threads, .input = current, .output = output,
            .parameters = const_cast<float*>(parameter_data()) + N::parameter_offsets[i]};
        std::get<i>(N::kinds).forward_inference(io);
        current = output;
      }
    });
    return current;
  }

  // The outputs of every layer that computes in inference (not Dropout, Flatten), each in a buffer
  // of its own, for `rows` samples: output_of(i) says where (rows x N::output_stride(i)). For the analysis.
  template <class OutputOf>
  void forward(const float* samples, std::size_t rows, OutputOf&& output_of) const {
    run_inference<true>(samples, rows, threads_,
                        [&](auto index) { return static_cast<float*>(output_of(decltype(index)::value)); });
  }

  // The regularisers' penalty on the current weights, as added to the loss.
  double regularization_penalty() const {
    double total = 0.0;
    for (std::size_t i = 0; i < N::layer_count; ++i)
      for (std::size_t k = 0; k < N::tensors[i].size(); ++k)
        total += codegen::regularizer_penalty(N::tensors[i][k].regularizer, parameter_data() + N::tensor_offset(i, k),
                                              N::tensors[i][k].stored_floats());
    return total;
  }

  static std::string describe() { return N::describe(); }
  // Keras's model.summary() table (see dsl/summary.hpp); print_summary() prints it, as Keras's does.
  [[nodiscard("summary() returns the table; print_summary() prints it")]] static std::string summary() { return N::summary(); }
  static void print_summary(std::FILE* out = stdout) { std::fputs(summary().c_str(), out); }

  // The arena, for the training code that grows it into a training plan.
  std::byte* arena() { return arena_.data(); }
  const std::byte* arena() const { return arena_.data(); }
  void reserve_arena(std::size_t bytes) { arena_.grow(bytes); }
  std::size_t arena_bytes() const { return arena_.bytes(); }

 private:
  // One sample through the layers, in `buffers` (PingPong<N>::inference_floats_per_row floats).
  void predict_one(const float* sample, float* probabilities, float* buffers) const {
    const float* output = run_inference(sample, codegen::fixed<1>{}, 1, [&](auto index) {
      constexpr std::size_t i = decltype(index)::value;
      return buffers + PingPong<N>::offset(PingPong<N>::inference_slot[i + 1], N::output_stride(i), 1,
                                           PingPong<N>::inference_floats_per_row);
    });
    std::copy_n(output, outputs, probabilities);
  }
  float* prediction_buffers() { return in_arena(arena_.data(), model_plan<N>.offset(BufferRole::prediction_pingpong)); }
  const float* prediction_buffers() const {
    return in_arena(arena_.data(), model_plan<N>.offset(BufferRole::prediction_pingpong));
  }

  // A mutex that copies of the model do not share (a copy gets its own).
  struct PredictionLock {
    std::mutex mutex;
    PredictionLock() = default;
    PredictionLock(const PredictionLock&) {}
    PredictionLock& operator=(const PredictionLock&) { return *this; }
  };

  float* parameter_data() { return in_arena(arena_.data(), model_plan<N>.offset(BufferRole::parameters, 0)); }
  const float* parameter_data() const { return in_arena(arena_.data(), model_plan<N>.offset(BufferRole::parameters, 0)); }

  Arena arena_;
  std::size_t threads_ = default_thread_count();
  TrainingProgress progress_;
  mutable PredictionLock prediction_lock_;
};

}  // namespace ctnn
