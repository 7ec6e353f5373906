// engine::Network: the generic run-time engine. A sequence of layers (engine/layer_node.hpp)
// built at run time, from a list of layer kinds or from a spec, doing the maths of the generated
// code with the same kernels, driven by run-time sizes. Everything about a layer comes from its
// kind through the layer protocol (layers/protocol.hpp): shapes, parameters, scratch, passes.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../codegen/arena.hpp"
#include "../codegen/matrix_view.hpp"
#include "../codegen/prediction_rows.hpp"
#include "../codegen/thread_pool.hpp"
#include "../dsl/random.hpp"
#include "../dsl/summary.hpp"
#include "../dsl/training_progress.hpp"
#include "../layers/activation.hpp"
#include "../layers/derived.hpp"
#include "../layers/initialize.hpp"
#include "../layers/tensor_names.hpp"
#include "../layers/batch_norm.hpp"
#include "../layers/dense.hpp"
#include "../layers/dropout.hpp"
#include "layer_node.hpp"
#include "parse_spec.hpp"
#include "spec.hpp"

namespace ctnn::engine {

class Network {
 public:
  Network(Shape input, std::vector<Layer> layers, Seed seed = {}) : input_(input), layers_(std::move(layers)) {
    build();
    initialize(seed);
  }
  explicit Network(NetworkSpec spec, Seed seed = {}) : Network(spec.input, std::move(spec.layers), seed) {}
  // From a one-line spec such as "784-400:relu-20:relu-10:softmax" (see parse_spec.hpp).
  explicit Network(std::string_view spec, Seed seed = {}) : Network(parse_spec(spec), seed) {}

  // Threads for batched prediction and training, as Model<Net>::set_threads.
  void set_threads(std::size_t count) { threads_ = std::max<std::size_t>(1, count); }
  std::size_t threads() const { return threads_; }

  // --- The layers, as the protocol describes them.
  std::size_t layer_count() const { return layers_.size(); }
  const LayerNode& layer(std::size_t i) const { return *layers_.at(i); }
  const Shape& input_shape() const { return input_; }
  const Shape& input_shape(std::size_t i) const { return i == 0 ? input_ : shapes_[i - 1]; }
  const Shape& output_shape(std::size_t i) const { return shapes_[i]; }
  // Floats from one sample's outputs of layer i to the next sample's: the outputs padded to vectors.
  std::size_t output_stride(std::size_t i) const { return simd::padded(shapes_[i].elements()); }
  std::string_view keras_type(std::size_t i) const { return layers_.at(i)->keras_type(); }
  const layers::Tensors& tensors(std::size_t i) const { return tensors_[i]; }
  const layers::LayerTraits& traits(std::size_t i) const { return traits_[i]; }
  // Where layer i's parameters start in the flat parameter array (and in the gradients and optimiser state).
  std::size_t parameter_offset(std::size_t i) const { return parameter_offsets_[i]; }
  // Tensor k of layer i, rows x columns with rows padded to vectors.
  MatrixView<float> tensor(std::size_t i, std::size_t k) {
    const layers::Tensor& t = tensors_.at(i)[k];
    return {parameter_data() + tensor_offset(i, k), t.rows, t.columns, simd::padded(t.columns)};
  }
  MatrixView<const float> tensor(std::size_t i, std::size_t k) const { return const_cast<Network&>(*this).tensor(i, k); }
  // A weight by its Keras name: weight("dense_1/kernel"), weight("batch_normalization/moving_mean").
  MatrixView<float> weight(std::string_view name) {
    const layers::TensorIndex at = layers::find_tensor(*this, name);
    return tensor(at.layer, at.tensor);
  }
  MatrixView<const float> weight(std::string_view name) const { return const_cast<Network&>(*this).weight(name); }
  std::size_t tensor_offset(std::size_t i, std::size_t k) const {
    std::size_t offset = parameter_offsets_.at(i);
    for (std::size_t j = 0; j < k; ++j) offset += tensors_[i][j].stored_floats();
    return offset;
  }

  // --- The network as a whole.
  std::size_t input_size() const { return input_.elements(); }
  std::size_t output_size() const { return shapes_.back().elements(); }
  std::size_t param_count() const {
    std::size_t total = 0;
    for (const layers::Tensors& list : tensors_)
      for (const layers::Tensor& t : list) total += t.elements();
    return total;
  }
  // Its layers as a spec, and the spec's canonical text (engine/spec.hpp).
  NetworkSpec spec() const { return {input_, layers_}; }
  std::string describe() const { return spec().to_string(); }
  // What model files and exported headers check (see layers/derived.hpp).
  std::string architecture() const { return spec().architecture(); }
  // Keras's model.summary() table, as Model<Net>::summary() gives it for the same network;
  // print_summary() prints it, as Keras's does.
  void print_summary(std::FILE* out = stdout) const { std::fputs(summary().c_str(), out); }
  [[nodiscard("summary() returns the table; print_summary() prints it")]] std::string summary() const {
    std::vector<SummaryRow> rows;
    for (std::size_t i = 0; i < layers_.size(); ++i) rows.push_back(layers::summary_row(layers_[i]->keras_type(), shapes_[i], tensors_[i]));
    return format_summary(rows);
  }

  // The products of a training step at mini-batch size `batch` on `threads` threads, as
  // Net::product_plan gives them for the same network, and as a table.
  std::vector<layers::ProductPlans> product_plan(std::size_t batch, std::size_t threads = 1) const {
    std::vector<layers::ProductPlans> plans;
    for (std::size_t i = 0; i < layers_.size(); ++i)
      plans.push_back(layers_[i]->product_plan(
          input_shape(i), i == 0 ? layers::batch_input_stride(input_, traits_[0]) : output_stride(i - 1), batch,
          layers::passes_gradient(i, [&](std::size_t j) { return tensors_[j]; }), threads));
    return plans;
  }
  std::string describe_products(std::size_t batch, std::size_t threads = 1) const {
    std::vector<std::string_view> types;
    for (const Layer& layer : layers_) types.push_back(layer->keras_type());
    return layers::product_table(types, product_plan(batch, threads), batch, threads);
  }

  // Every tensor from its initialiser (layers/initialize.hpp): with the same seed, the same weights
  // as Model<Net> of the equivalent type.
  // Forgets what earlier fits left (training_progress()): the next fit starts as on a new network.
  void initialize(Seed seed) { layers::initialize_parameters(*this, seed), progress_ = {}; }

  // What the last fit() left for the next one, as Model<Net>::training_progress().
  TrainingProgress& training_progress() { return progress_; }
  const TrainingProgress& training_progress() const { return progress_; }

  // All parameters as one flat array, padding included (the optimiser's view).
  std::span<float> parameters() { return {parameter_data(), parameter_floats_}; }
  std::span<const float> parameters() const { return {parameter_data(), parameter_floats_}; }

  double regularization_penalty() const {
    double total = 0.0;
    for (std::size_t i = 0; i < layers_.size(); ++i)
      for (std::size_t k = 0; k < tensors_[i].size(); ++k)
        total += codegen::regularizer_penalty(tensors_[i][k].regularizer, parameter_data() + tensor_offset(i, k),
                                              tensors_[i][k].stored_floats());
    return total;
  }


 private:
  // Two buffers of `rows` rows: each layer writes into the one its input is not in.
  struct PingPong {
    float* front;
    float* back;
    float* operator()(std::size_t, const float* input) const { return input == front ? back : front; }
  };
  PingPong pingpong(std::size_t rows) {
    float* front = in_arena(pingpong_.data(), 0);
    return {front, front + rows * pingpong_floats_per_row_};
  }

 public:
  // Class probabilities of one sample (the matrix-vector path, as the generated code takes),
  // through the network's own buffers: one caller at a time.
  void predict(const float* sample, float* probabilities) {
    const float* output = run_inference(sample, 1, true, pingpong(1));
    std::copy_n(output, output_size(), probabilities);
  }

  // Probabilities of `count` samples (count x inputs in, count x outputs out), in chunks of
  // prediction_rows through ping-pong buffers allocated with the network.
  void predict(const float* samples, std::size_t count, float* probabilities) {
    const std::size_t last_stride = output_stride(layers_.size() - 1);
    for (std::size_t first = 0; first < count; first += prediction_rows) {
      const std::size_t rows = std::min(prediction_rows, count - first);
      const float* output = run_inference(samples + first * input_size(), rows, false, pingpong(prediction_rows));
      for (std::size_t r = 0; r < rows; ++r)
        std::copy_n(output + r * last_stride, output_size(), probabilities + (first + r) * output_size());
    }
  }

  // Inference over `rows` samples (rows x inputs). buffer_for(i) says where layer i writes (rows x
  // output_stride(i)) when it cannot write over its input (or, with every_layer_apart, always);
  // returns where the last layer's outputs are.
  template <class BufferFor>
  const float* run_inference(const float* x, std::size_t rows, bool single_sample, BufferFor&& buffer_for,
                             bool every_layer_apart = false) const {
    const float* current = x;
    std::size_t current_stride = input_size();
    for (std::size_t i = 0; i < layers_.size(); ++i) {
      if (traits_[i].identity_in_inference) continue;
      float* output = traits_[i].in_place_inference && current != x && !every_layer_apart ? const_cast<float*>(current)
                                                                                          : buffer_for(i, current);
      LayerIo io{.rows = rows,
                 .threads = threads_,
                 .single_sample = single_sample,
                 .input_shape = input_shape(i),
                 .output_shape = output_shape(i),
                 .input_stride = current_stride,
                 .output_stride = output_stride(i),
                 .input = current,
                 .output = output,
                 .parameters = const_cast<float*>(parameter_data()) + parameter_offsets_[i]};
      layers_[i]->forward_inference(io);
      current = output;
      current_stride = output_stride(i);
    }
    return current;
  }

  // The outputs of every layer that computes in inference (not Dropout, Flatten), each in a buffer
  // of its own, for `rows` samples: output_of(i) says where (rows x output_stride(i)). For the analysis.
  template <class OutputOf>
  void forward(const float* x, std::size_t rows, OutputOf&& output_of) const {
    run_inference(x, rows, false, [&](std::size_t i, const float*) { return static_cast<float*>(output_of(i)); }, true);
  }
  // Layer i's options when it is of kind Kind (nullptr otherwise).
  template <class Kind>
  const Kind* layer_as(std::size_t i) const {
    return layers_.at(i)->as<Kind>();
  }

 private:
  // The most parameters a network built at run time may have: 2^30 (4 GiB of float32; training
  // adds gradients and up to three arrays of optimiser state of the same size).
  static constexpr std::size_t largest_network = std::size_t(1) << 30;

  // Shapes, tensors and the parameter layout from the layers, each layer checked on its input.
  void build() {
    if (layers_.empty()) throw Error("engine::Network: the network has no layers");
    if (input_.elements() == 0) throw Error("engine::Network: the input has no values (shape " + input_.text() + ")");
    Shape shape = input_;
    std::size_t total = 0, count = 0;
    for (std::size_t i = 0; i < layers_.size(); ++i) {
      const std::string where = "engine::Network: layer " + std::to_string(i) + " (" + std::string(layers_[i]->keras_type()) + ")";
      try {
        shape = layers_[i]->output_shape(shape);
      } catch (const layers::ShapeError& error) {
        throw Error(where + " reading " + input_shape_text(i, shape) + ": " + error.what());
      }
      shapes_.push_back(shape);
      // Checked layer by layer, before any product can overflow.
      if (shape.elements() > largest_network) throw Error(where + " outputs more than 2^30 values");
      layers::Tensors list = layers_[i]->parameters(input_shape(i));
      for (const layers::Tensor& t : list) {
        if (t.rows > largest_network || t.columns > largest_network || t.elements() > largest_network - count)
          throw Error("engine::Network: the network has more than 2^30 parameters (from layer " + std::to_string(i) + ", " +
                      std::to_string(t.rows) + " x " + std::to_string(t.columns) + ", on), more than ctnn builds");
        count += t.elements();
      }
      parameter_offsets_.push_back(total);
      total += layers::block_floats(list);
      tensors_.push_back(list);
      traits_.push_back(layers_[i]->traits());
      if (traits_[i].produces_probabilities && i + 1 != layers_.size())
        throw Error(where + ": softmax is only allowed on the output layer, not on layer " + std::to_string(i));
    }
    parameter_floats_ = std::max<std::size_t>(total, 1);
    parameters_ = Arena(parameter_floats_ * sizeof(float));
    std::size_t widest = input_.elements();
    for (std::size_t i = 0; i < layers_.size(); ++i) widest = std::max(widest, output_stride(i));
    pingpong_floats_per_row_ = simd::padded(widest);
    pingpong_ = Arena(2 * prediction_rows * pingpong_floats_per_row_ * sizeof(float));
  }
  std::string input_shape_text(std::size_t i, const Shape& shape) const {
    return (i == 0 ? "the input, " : "") + shape.text();
  }
  float* parameter_data() { return in_arena(parameters_.data(), 0); }
  const float* parameter_data() const { return in_arena(parameters_.data(), 0); }

  Shape input_;
  std::vector<Layer> layers_;
  std::vector<Shape> shapes_;
  std::vector<layers::Tensors> tensors_;
  std::vector<layers::LayerTraits> traits_;
  std::vector<std::size_t> parameter_offsets_;
  std::size_t parameter_floats_ = 0, pingpong_floats_per_row_ = 0;
  Arena parameters_{0};
  Arena pingpong_{0};
  std::size_t threads_ = default_thread_count();
  TrainingProgress progress_;
};

}  // namespace ctnn::engine
