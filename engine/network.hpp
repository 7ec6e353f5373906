// engine::Network: the generic run-time engine. A network built from a spec read at run time,
// doing the maths of the generated code with the same xsimd kernels, driven by run-time sizes:
// heap buffers sized when the network is built, loop bounds and strides read from memory,
// the activation kernel picked per layer by a switch.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../codegen/arena.hpp"
#include "../codegen/batch_norm_parameters.hpp"
#include "../codegen/dense_backward.hpp"
#include "../codegen/dense_forward.hpp"
#include "../codegen/extent.hpp"
#include "../codegen/matrix_view.hpp"
#include "../codegen/memory_plan.hpp"
#include "../dsl/random.hpp"
#include "../dsl/summary.hpp"
#include "parse_spec.hpp"
#include "spec.hpp"

namespace ctnn::engine {

using RuntimeShape = codegen::DenseShape<std::size_t, std::size_t, std::size_t>;

// Where each layer's kernel, bias and batch-norm parameters live in one flat array of parameters (and in the gradient
// and optimiser-state arrays, which repeat it): rows padded to SIMD vectors, every block aligned
// to 64 bytes, as in the generated code's plan.
class ParameterLayout {
 public:
  explicit ParameterLayout(const NetworkSpec& spec) {
    auto add = [this](std::size_t floats) {
      const std::size_t offset = total_;
      total_ += (floats * sizeof(float) + arena_alignment - 1) / arena_alignment * arena_alignment / sizeof(float);
      return offset;
    };
    for (std::size_t l = 0; l < spec.layers.size(); ++l) {
      const LayerSpec& layer = spec.layers[l];
      shapes_.push_back({layer.inputs, layer.outputs, l == 0 ? layer.inputs : simd::padded(layer.inputs)});
      kernel_offset_.push_back(add(layer.inputs * simd::padded(layer.outputs)));
      bias_offset_.push_back(add(simd::padded(layer.outputs)));
      batch_norm_offset_.push_back(layer.batch_norm ? add(4 * simd::padded(layer.outputs)) : no_batch_norm_offset);
    }
    pingpong_floats_per_row_ = shapes_[0].stride();
    for (std::size_t l = 0; l + 1 < shapes_.size(); ++l)
      pingpong_floats_per_row_ = std::max(pingpong_floats_per_row_, shapes_[l].stride() + shapes_[l + 1].stride());
  }
  const RuntimeShape& shape(std::size_t l) const { return shapes_[l]; }
  std::size_t kernel_offset(std::size_t l) const { return kernel_offset_[l]; }
  std::size_t bias_offset(std::size_t l) const { return bias_offset_[l]; }
  // no_batch_norm_offset when layer l has no batch normalisation.
  std::size_t batch_norm_offset(std::size_t l) const { return batch_norm_offset_[l]; }
  static constexpr std::size_t no_batch_norm_offset = static_cast<std::size_t>(-1);
  std::size_t kernel_floats(std::size_t l) const { return shapes_[l].inputs * shapes_[l].stride(); }
  std::size_t total_floats() const { return total_; }

  // The widest pair of consecutive layers' padded outputs: what ping-pong buffers hold per row.
  std::size_t pingpong_floats_per_row() const { return pingpong_floats_per_row_; }
  // Ping-pong placement: even layers from the front, odd layers ending at the back.
  std::size_t pingpong_offset(std::size_t l, std::size_t rows) const {
    return l % 2 == 0 ? 0 : rows * (pingpong_floats_per_row_ - shapes_[l].stride());
  }

 private:
  std::vector<RuntimeShape> shapes_;
  std::vector<std::size_t> kernel_offset_, bias_offset_, batch_norm_offset_;
  std::size_t total_ = 0;
  std::size_t pingpong_floats_per_row_ = 0;
};

class Network {
 public:
  explicit Network(NetworkSpec spec, Seed seed = {})
      : spec_(checked(std::move(spec))),
        layout_(spec_),
        parameters_(layout_.total_floats() * sizeof(float)),
        pingpong_(prediction_rows * layout_.pingpong_floats_per_row() * sizeof(float)) {
    initialize(seed);
  }
  // From a one-line spec such as "784-400:relu-20:relu-10:softmax" (see parse_spec.hpp).
  explicit Network(std::string_view spec, Seed seed = {}) : Network(parse_spec(spec), seed) {}

  // Threads for batched prediction and training, as Model<Net>::set_threads.
  void set_threads(std::size_t count) { threads_ = std::max<std::size_t>(1, count); }
  std::size_t threads() const { return threads_; }

  const NetworkSpec& spec() const { return spec_; }
  const ParameterLayout& layout() const { return layout_; }
  std::size_t depth() const { return spec_.layers.size(); }
  std::size_t input_size() const { return spec_.input_size(); }
  std::size_t output_size() const { return spec_.output_size(); }
  std::size_t param_count() const { return spec_.param_count(); }
  std::string describe() const { return spec_.to_string(); }
  std::string architecture() const { return spec_.architecture(); }
  // Keras's model.summary() table, as Model<Net>::summary() prints it for the same network.
  std::string summary() const {
    std::vector<SummaryRow> rows;
    for (const LayerSpec& layer : spec_.layers) {
      rows.push_back({"Dense", layer.outputs, layer.inputs * layer.outputs + layer.outputs, 0});
      if (layer.batch_norm) rows.push_back({"BatchNormalization", layer.outputs, 2 * layer.outputs, 2 * layer.outputs});
      if (layer.dropout > 0.0f) rows.push_back({"Dropout", layer.outputs, 0, 0});
    }
    return format_summary(rows);
  }

  // Kernels from each layer's initialiser, one random stream per layer, biases zero, batch
  // normalisation as Keras starts it: with the same seed, the same weights as Model<Net> of the
  // equivalent type.
  void initialize(Seed seed) {
    for (std::size_t l = 0; l < depth(); ++l) {
      const LayerSpec& layer = spec_.layers[l];
      Rng rng(seed.value, l);
      MatrixView<float> w = kernel(l);
      for (std::size_t i = 0; i < w.rows; ++i)
        for (std::size_t o = 0; o < w.cols; ++o) w(i, o) = layer.initializer.sample(rng, layer.inputs, layer.outputs);
      std::ranges::fill(bias(l), 0.0f);
      reset_batch_norm(batch_norm(l));
    }
  }

  MatrixView<float> kernel(std::size_t l) {
    return {parameter_data() + layout_.kernel_offset(l), spec_.layers[l].inputs, spec_.layers[l].outputs,
            layout_.shape(l).stride()};
  }
  MatrixView<const float> kernel(std::size_t l) const {
    return {parameter_data() + layout_.kernel_offset(l), spec_.layers[l].inputs, spec_.layers[l].outputs,
            layout_.shape(l).stride()};
  }
  std::span<float> bias(std::size_t l) { return {parameter_data() + layout_.bias_offset(l), spec_.layers[l].outputs}; }
  std::span<const float> bias(std::size_t l) const {
    return {parameter_data() + layout_.bias_offset(l), spec_.layers[l].outputs};
  }
  // The parameters of layer l's batch normalisation; empty (false) when it has none.
  BatchNormParameters<float> batch_norm(std::size_t l) {
    if (!spec_.layers[l].batch_norm) return {};
    return {parameter_data() + layout_.batch_norm_offset(l), spec_.layers[l].outputs, layout_.shape(l).stride()};
  }
  BatchNormParameters<const float> batch_norm(std::size_t l) const { return const_cast<Network&>(*this).batch_norm(l); }

  // All parameters as one flat array, padding included (the optimiser's view).
  std::span<float> parameters() { return {parameter_data(), layout_.total_floats()}; }

  // Class probabilities of one sample (the matrix-vector path, as the generated code takes),
  // through the network's own buffers: one caller at a time.
  void predict(const float* sample, float* probabilities) {
    float* pingpong = in_arena(pingpong_.data(), 0);
    forward(sample, codegen::fixed<1>{}, [&](std::size_t l) { return pingpong + layout_.pingpong_offset(l, 1); });
    std::copy_n(pingpong + layout_.pingpong_offset(depth() - 1, 1), output_size(), probabilities);
  }

  // Probabilities of `count` samples (count x inputs in, count x outputs out), in chunks of
  // prediction_rows through ping-pong buffers allocated with the network.
  void predict(const float* samples, std::size_t count, float* probabilities) {
    float* pingpong = in_arena(pingpong_.data(), 0);
    const std::size_t last = depth() - 1, last_stride = layout_.shape(last).stride();
    for (std::size_t first = 0; first < count; first += prediction_rows) {
      const std::size_t rows = std::min(prediction_rows, count - first);
      forward(samples + first * input_size(), rows,
              [&](std::size_t l) { return pingpong + layout_.pingpong_offset(l, prediction_rows); });
      const float* output = pingpong + layout_.pingpong_offset(last, prediction_rows);
      for (std::size_t r = 0; r < rows; ++r)
        std::copy_n(output + r * last_stride, output_size(), probabilities + (first + r) * output_size());
    }
  }

  // x: rows x input_size. output_of(l) says where layer l writes (rows x padded outputs), batch
  // normalised with the moving statistics where the spec says.
  template <codegen::Extent Rows, class OutputOf>
  void forward(const float* x, Rows rows, OutputOf&& output_of) const {
    for (std::size_t l = 0; l < depth(); ++l) {
      const float* input = l == 0 ? x : output_of(l - 1);
      float* output = output_of(l);
      with_activation(spec_.layers[l].activation, [&]<class Act>(Act) {
        codegen::dense_forward<Act>(layout_.shape(l), input, rows, kernel(l).data, bias(l).data(), output, threads_);
      });
      if (const BatchNormParameters<const float> norm = batch_norm(l))
        codegen::batch_norm_rows(norm.stride, norm.data, batch_norm_epsilon, output, std::size_t(rows));
    }
  }

  // Layer l's activation as in a spec: "relu", "softmax", ...
  std::string_view activation_name(std::size_t l) const { return spec_name(spec_.layers.at(l).activation); }

  double regularization_penalty() const {
    double total = 0.0;
    for (std::size_t l = 0; l < depth(); ++l)
      total += codegen::regularizer_penalty(spec_.layers[l].regularizer, kernel(l).data, layout_.kernel_floats(l));
    return total;
  }

 private:
  // The most parameters a network built at run time may have: 2^30 (4 GiB of float32; training
  // adds gradients and up to three arrays of optimiser state of the same size).
  static constexpr std::size_t largest_network = std::size_t(1) << 30;

  static NetworkSpec checked(NetworkSpec spec) {
    if (spec.layers.empty()) throw Error("engine::Network: the spec has no layers");
    std::size_t parameters = 0;
    for (std::size_t l = 0; l < spec.layers.size(); ++l) {
      const LayerSpec& layer = spec.layers[l];
      if (layer.inputs == 0 || layer.outputs == 0)
        throw Error("engine::Network: layer " + std::to_string(l) + " has a size of 0");
      if (l > 0 && layer.inputs != spec.layers[l - 1].outputs)
        throw Error("engine::Network: layer " + std::to_string(l) + " reads " + std::to_string(layer.inputs) +
                    " values but the layer before it outputs " + std::to_string(spec.layers[l - 1].outputs));
      // Checked layer by layer, before any product can overflow: sizes are at most 2^26 each (the
      // parser's limit), but a spec built in code can give any size_t.
      if (layer.inputs > largest_network || layer.outputs > largest_network ||
          layer.param_count() > largest_network - parameters)
        throw Error("engine::Network: the network has more than 2^30 parameters (from layer " + std::to_string(l) + ", " +
                    std::to_string(layer.inputs) + " x " + std::to_string(layer.outputs) + ", on), more than ctnn builds");
      parameters += layer.param_count();
      if (layer.activation == ActivationKind::softmax && l + 1 != spec.layers.size())
        throw Error("engine::Network: softmax is only allowed on the output layer, not on layer " + std::to_string(l));
      if (!(layer.activity_l1 >= 0.0f && std::isfinite(layer.activity_l1)))
        throw Error("engine::Network: layer " + std::to_string(l) + " has an activity_l1 coefficient of " +
                    std::to_string(layer.activity_l1) + "; it must be a number >= 0");
      if (layer.batch_norm && (layer.activation == ActivationKind::softmax ||
                               !(layer.batch_norm_momentum >= 0.0f && layer.batch_norm_momentum <= 1.0f)))
        throw Error("engine::Network: layer " + std::to_string(l) + " has batch normalisation with momentum " +
                    std::to_string(layer.batch_norm_momentum) +
                    "; it goes on hidden layers only, with a momentum in [0, 1]");
      if (!(layer.dropout >= 0.0f && layer.dropout < 1.0f) || (layer.dropout > 0.0f && l + 1 == spec.layers.size()))
        throw Error("engine::Network: layer " + std::to_string(l) + " has dropout " + std::to_string(layer.dropout) +
                    "; dropout rates are in [0, 1), on hidden layers only");
    }
    return spec;
  }
  float* parameter_data() { return in_arena(parameters_.data(), 0); }
  const float* parameter_data() const { return in_arena(parameters_.data(), 0); }

  NetworkSpec spec_;
  ParameterLayout layout_;
  Arena parameters_;
  Arena pingpong_;
  std::size_t threads_ = default_thread_count();
};

}  // namespace ctnn::engine
