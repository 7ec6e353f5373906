// The engine's view of a layer: any layer kind of the protocol (layers/protocol.hpp) behind one
// virtual interface, so that a network built at run time is a sequence of them. Node<Kind> adapts
// a kind; Layer is a copyable value holding one, which is what users put in a list:
//   engine::Network net{Shape(784), {layers::Dense{.units = 400}, layers::Dropout{.rate = 0.5f},
//                                    layers::Dense{.units = 10, .activation = ActivationKind::softmax}}};
#pragma once

#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../codegen/backward_epilogue.hpp"
#include "../codegen/dense_backward.hpp"
#include "../codegen/gradient_sinks.hpp"
#include "../codegen/optimizer_update.hpp"
#include "../layers/exported_code.hpp"
#include "../layers/product_table.hpp"
#include "../layers/protocol.hpp"

namespace ctnn::engine {

// The buffers and sizes of one layer in one pass, all read at run time.
struct LayerIo {
  std::size_t rows = 0, threads = 1;
  bool single_sample = false;  // one sample known as such: the matrix-vector path
  Shape input_shape, output_shape;
  std::size_t input_stride = 0, output_stride = 0;  // floats from one row to the next
  const float* input = nullptr;
  float* output = nullptr;
  float* parameters = nullptr;         // the layer's tensors, one after the other
  float* const* scratch = nullptr;     // its scratch buffers, in the order it lists them
  // Training only.
  double* penalty = nullptr;           // activity penalties are added here
  std::uint64_t seed = 0, step = 0;    // for layers that draw random numbers
  std::size_t random_stream = 0;
  ProcessShare share{};                // this process's part of a layer that shares work

  // f(rows) with the rows as the kernels take them: fixed<1> for one sample known as such.
  template <class F>
  void with_rows(F&& f) const {
    if (single_sample) f(codegen::fixed<1>{});
    else f(rows);
  }
  // f(Act{}) for the layer's activation, chosen at run time.
  template <class F>
  decltype(auto) with_activation(ActivationKind kind, F&& f) const {
    return ctnn::with_activation(kind, std::forward<F>(f));
  }
};

// The backward steps of the element-wise layers below a layer, in the one form the kernels fuse:
// a mask, then an activity L1 penalty and an activation's derivative on the same output.
struct FusedSteps {
  const float* mask = nullptr;
  float activity_l1 = 0.0f;
  ActivationKind activation = ActivationKind::linear;
  const float* activation_output = nullptr;

  template <class F>
  void visit(F&& f) const {
    with_activation(activation, [&]<class Act>(Act) {
      if constexpr (std::is_same_v<Act, ctnn::detail::SoftmaxActivation>)
        f(codegen::BackwardEpilogue<Linear, const float*>{mask, activity_l1, activation_output});
      else
        f(codegen::BackwardEpilogue<Act, const float*>{mask, activity_l1, activation_output});
    });
  }
};

// Where a backward pass puts each finished gradient vector: stored beside the parameters, or
// applied at once by an optimiser's update (see codegen/gradient_sinks.hpp).
struct ParameterSinks {
  float* parameters = nullptr;
  float* gradients = nullptr;
  float* optimizer_state = nullptr;
  const OptimizerUpdate* update = nullptr;  // null: store the gradients
  std::atomic<bool>* non_finite = nullptr;   // with an update: set when a gradient was not finite

  template <class F>
  void visit(F&& f) const {
    if (update) {
      f([this, &u = *update](float* parameter) {
        return codegen::guarded_update(u, *non_finite, parameter, optimizer_state + (parameter - parameters));
      });
    } else {
      f([this](float* parameter) { return codegen::StoreGradient{gradients + (parameter - parameters)}; });
    }
  }
};

template <class SinkFor>
struct BackwardIo : LayerIo {
  float* output_gradient = nullptr;  // rows x output_stride
  float* input_gradient = nullptr;   // rows x input_stride; null when nothing below needs it
  const FusedSteps* steps = nullptr;
  SinkFor sink_for_fn;

  auto sink_for(float* parameter) const { return sink_for_fn(parameter); }
  template <class F>
  void with_epilogue(F&& f) const { steps->visit(f); }
};

class LayerNode {
 public:
  virtual ~LayerNode() = default;
  virtual std::unique_ptr<LayerNode> clone() const = 0;
  virtual std::string_view keras_type() const = 0;
  virtual Shape output_shape(const Shape& input) const = 0;
  virtual layers::Tensors parameters(const Shape& input) const = 0;
  virtual layers::ScratchList scratch(const Shape& input) const = 0;
  virtual layers::LayerTraits traits() const = 0;
  virtual layers::BackwardSteps backward_steps() const = 0;
  virtual layers::ProductPlans product_plan(const Shape& input, std::size_t input_stride, std::size_t batch,
                                            bool passes_gradient, std::size_t threads) const = 0;
  virtual std::string spec() const = 0;
  virtual std::string architecture() const = 0;
  // Throws when the kind does not say how (see layers/protocol.hpp).
  virtual std::string exported_inference(const Shape& input, const layers::ExportedIo& io) const = 0;
  virtual void forward_inference(const LayerIo& io) const = 0;
  virtual void forward_training(const LayerIo& io) const = 0;
  virtual void backward(const LayerIo& io, float* output_gradient, float* input_gradient, const FusedSteps& steps,
                        const ParameterSinks& sinks) const = 0;
  // The layer kind's options, for code that knows the kind (nullptr when it is another kind).
  template <class Kind>
  const Kind* as() const {
    return static_cast<const Kind*>(kind_if(typeid_of<Kind>()));
  }

 protected:
  template <class Kind>
  static const void* typeid_of() {
    static const char tag = 0;
    return &tag;
  }
  virtual const void* kind_if(const void* tag) const = 0;
};

template <class Kind>
class Node final : public LayerNode {
 public:
  explicit Node(Kind kind) : kind_(std::move(kind)) {}
  std::unique_ptr<LayerNode> clone() const override { return std::make_unique<Node>(kind_); }
  std::string_view keras_type() const override { return Kind::keras_type; }
  Shape output_shape(const Shape& input) const override { return kind_.output_shape(input); }
  layers::Tensors parameters(const Shape& input) const override { return kind_.parameters(input); }
  layers::ScratchList scratch(const Shape& input) const override { return kind_.scratch(input); }
  layers::LayerTraits traits() const override { return kind_.traits(); }
  layers::BackwardSteps backward_steps() const override { return kind_.backward_steps(); }
  layers::ProductPlans product_plan(const Shape& input, std::size_t input_stride, std::size_t batch, bool passes_gradient,
                                    std::size_t threads) const override {
    return layers::plan_products(kind_, input, input_stride, batch, passes_gradient, threads);
  }
  std::string spec() const override { return kind_.spec(); }
  std::string architecture() const override { return kind_.architecture(); }
  std::string exported_inference(const Shape& input, const layers::ExportedIo& io) const override {
    if constexpr (requires { kind_.exported_inference(input, io); }) return kind_.exported_inference(input, io);
    else
      throw Error("a " + std::string(Kind::keras_type) + " layer cannot be exported: its kind has no exported_inference "
                  "(see layers/protocol.hpp)");
  }
  void forward_inference(const LayerIo& io) const override { kind_.forward_inference(io); }
  void forward_training(const LayerIo& io) const override { kind_.forward_training(io); }
  void backward(const LayerIo& io, float* output_gradient, float* input_gradient, const FusedSteps& steps,
                const ParameterSinks& sinks) const override {
    if constexpr (requires(const BackwardIo<codegen::StoreGradient (*)(float*)>& probe) { kind_.backward(probe); }) {
      sinks.visit([&](auto sink_for) {
        BackwardIo<decltype(sink_for)> backward_io{io, output_gradient, input_gradient, &steps, sink_for};
        kind_.backward(backward_io);
      });
    }
  }

 private:
  const void* kind_if(const void* tag) const override { return tag == typeid_of<Kind>() ? &kind_ : nullptr; }
  Kind kind_;
};

// A layer of any kind, by value.
class Layer {
 public:
  template <class Kind>
    requires(!std::same_as<std::remove_cvref_t<Kind>, Layer>)
  Layer(Kind kind) : node_(std::make_unique<Node<Kind>>(std::move(kind))) {}
  Layer(const Layer& other) : node_(other.node_->clone()) {}
  Layer& operator=(const Layer& other) {
    if (this != &other) node_ = other.node_->clone();
    return *this;
  }
  Layer(Layer&&) noexcept = default;
  Layer& operator=(Layer&&) noexcept = default;

  const LayerNode& operator*() const { return *node_; }
  const LayerNode* operator->() const { return node_.get(); }

 private:
  std::unique_ptr<LayerNode> node_;
};

}  // namespace ctnn::engine
