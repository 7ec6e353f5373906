#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

using namespace ctnn;

namespace {

using SeedNet = Net<Dense<784, 400, ReLU>, Dense<400, 20>, Softmax<10>>;

// Independent of the plan code: sizes written out from the network's shape.
constexpr std::size_t V = simd::lanes;
constexpr std::size_t pad(std::size_t n) { return (n + V - 1) / V * V; }
constexpr std::size_t align64(std::size_t bytes) { return (bytes + 63) / 64 * 64; }

template <std::size_t Capacity>
void check_disjoint_and_aligned(const MemoryPlan<Capacity>& plan) {
  for (std::size_t i = 0; i < plan.count; ++i) {
    const PlannedBuffer& a = plan.buffers[i];
    CHECK(a.offset % 64 == 0);
    CHECK(a.offset + a.bytes <= plan.bytes);
    for (std::size_t j = i + 1; j < plan.count; ++j) {
      const PlannedBuffer& b = plan.buffers[j];
      CHECK((a.offset + a.bytes <= b.offset || b.offset + b.bytes <= a.offset));
    }
  }
}

}  // namespace

TEST_CASE("the seed network's training plan matches a hand computation") {
  constexpr std::size_t B = 200;
  const std::size_t h1 = pad(400), h2 = pad(20), out = pad(10);
  // Each layer's kernel and bias, one after the other, the layer's block aligned.
  const std::size_t params = align64(4 * (784 * h1 + h1)) + align64(4 * (400 * h2 + h2)) + align64(4 * (20 * out + out));
  const std::size_t prediction = align64(4 * prediction_rows * (h1 + h2));  // layers 0 and 1 side by side
  const std::size_t per_step = align64(4 * B * 784) + align64(4 * B) +      // input batch, labels
                               align64(4 * B * h1) + align64(4 * B * h2) + align64(4 * B * out) +  // outputs
                               align64(4 * 20 * h1) +  // W^T of layer 1 (20 x 400) is larger than layer 2's (10 x 20);
                                                       // layer 0 passes no gradient down and needs none
                               align64(4 * B * (h1 + h2));  // output gradients, two layers at a time
  const std::size_t expected = params /*weights*/ + prediction + params /*gradients*/ +
                               3 * params /*optimizer state: up to three arrays (Adam with amsgrad)*/ + per_step;

  constexpr auto& plan = training_plan<SeedNet, B>;
  CHECK(plan.bytes == expected);
  CHECK(model_plan<SeedNet>.bytes == params + prediction);
  check_disjoint_and_aligned(plan);
  // The training plan starts with the model plan, so parameters do not move when a model trains.
  for (std::size_t i = 0; i < model_plan<SeedNet>.count; ++i)
    CHECK(plan.buffers[i].offset == model_plan<SeedNet>.buffers[i].offset);
}

TEST_CASE("inference ping-pong holds only the two largest adjacent outputs") {
  using Wide = Net<Dense<10, 64, ReLU>, Dense<64, 8>, Dense<8, 96>, Dense<96, 16>, Softmax<4>>;
  // Adjacent pairs: 64+8, 8+96, 96+16, 16+4 (padded): the largest is 96+16.
  const std::size_t widest_pair = std::max({pad(64) + pad(8), pad(8) + pad(96), pad(96) + pad(16), pad(16) + pad(4)});
  CHECK(PingPong<Wide>::inference_floats_per_row == widest_pair);
  constexpr auto& single = inference_plan<Wide, 1>;
  CHECK(single.find(BufferRole::prediction_pingpong).bytes == 4 * widest_pair);
  check_disjoint_and_aligned(single);
}

TEST_CASE("layers that work in place or pass their input through take no ping-pong slot in inference") {
  // Dropout passes its input through; BatchNorm writes over its input once that is a slot.
  using Normalised = Net<Dense<10, 64, Linear>, BatchNorm<>, Dropout<0.5>, Dense<64, 8>, Softmax<4>>;
  using P = PingPong<Normalised>;
  STATIC_REQUIRE(P::inference_slot == std::array<std::size_t, 6>{P::none, 0, 0, 0, 1, 0});
  CHECK(P::inference_floats_per_row == pad(64) + pad(8));
  // In training the gradient of the BatchNorm's input is written over its output's, and the
  // Dropout's steps are applied in the Dense layer above: layers 0 to 2 share one slot.
  STATIC_REQUIRE(P::gradient_slot == std::array<std::size_t, 5>{0, 0, 0, 1, 0});
}

TEST_CASE("the plan prints every buffer and the total") {
  const std::string table = format_plan(training_plan<SeedNet, 200>);
  CHECK(table.find("layer 0 parameters (Dense)") != std::string::npos);
  CHECK(table.find("gradient ping-pong") != std::string::npos);
  CHECK(table.find(std::to_string(training_plan<SeedNet, 200>.bytes)) != std::string::npos);
  // MaxPooling2D and Flatten have no parameters, and a valid convolution of stride 1 needs no padded
  // copy of its input: the plan holds those buffers with no bytes, the table leaves them out.
  using Convolutional = Net<Input<8, 8, 1>, Conv2D<4, 3, 3, ReLU>, MaxPool2D<2>, Flatten, Dense<inferred, 5, ReLU>, Softmax<3>>;
  const auto& plan = training_plan<Convolutional, 4>;
  CHECK(plan.find(BufferRole::parameters, 1).bytes == 0);
  const std::string convolutional = format_plan(plan);
  CHECK(convolutional.find("layer 0 parameters (Conv2D)") != std::string::npos);
  CHECK(convolutional.find("MaxPooling2D)") != std::string::npos);  // its output and argmax
  CHECK(convolutional.find("parameters (MaxPooling2D)") == std::string::npos);
  CHECK(convolutional.find("parameters (Flatten)") == std::string::npos);
  CHECK(convolutional.find("padded input") == std::string::npos);
}

TEST_CASE("Flatten takes no training buffer: its outputs are its input's, on both backends") {
  // Flatten after a layer (MaxPooling2D) and as the first layer (its input is the gathered batch).
  using Pooled = Net<Input<4, 4, 3>, MaxPool2D<2>, Flatten, Dense<inferred, 5, ReLU>, Softmax<2>>;
  using First = Net<Input<3, 4, 2>, Flatten, Dense<inferred, 6, Tanh>, Softmax<3>>;
  CHECK(format_plan(training_plan<Pooled, 4>).find("output (Flatten)") == std::string::npos);
  CHECK(format_plan(training_plan<Pooled, 4>).find("output (MaxPooling2D)") != std::string::npos);

  std::vector<float> images(6 * 48);
  for (std::size_t i = 0; i < images.size(); ++i) images[i] = float(i % 11) * 0.1f - 0.4f;
  const std::vector<std::uint8_t> labels{0, 1, 1, 0, 1, 0};
  const std::vector<std::uint32_t> order{5, 2, 0, 3};
  const auto check = [&](auto& step, std::size_t features) {
    step.load_batch(images.data(), labels.data(), order);
    step.compute_gradients(order.size());
    const MatrixView<const float> flattened = step.output(features == 48 ? 1 : 0, order.size());
    if (features == 48) {
      CHECK(flattened.data == step.output(0, order.size()).data);  // the pooled maps themselves
      CHECK(flattened.cols == 12);
    } else {
      for (std::size_t r = 0; r < order.size(); ++r)  // the gathered samples themselves
        for (std::size_t c = 0; c < features; ++c) CHECK(flattened(r, c) == images[order[r] * features + c]);
    }
  };
  const auto on_both_backends = [&]<NetType N>() {
    Model<N> model{Seed{1}};
    auto generated = training_step<4>(model);
    check(generated, N::input_size);
    engine::Network network{N::spec(), Seed{1}};
    auto generic = training_step<4>(network);
    check(generic, N::input_size);
  };
  on_both_backends.operator()<Pooled>();
  on_both_backends.operator()<First>();
}

TEST_CASE("the single-sample inference plan is the parameters and one ping-pong row") {
  constexpr auto& single = inference_plan<SeedNet, 1>;
  CHECK(single.count == SeedNet::layer_count + 1);
  CHECK(single.find(BufferRole::prediction_pingpong).bytes == 4 * (pad(400) + pad(20)));
}
