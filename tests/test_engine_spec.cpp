// The generic engine's spec language: parsing, the canonical form every Net type produces,
// and one clear error per kind of mistake, pointing at the offending token.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include <fstream>

#include "temp_dir.hpp"

using namespace ctnn;
using engine::ActivationKind;
using engine::InitializerKind;

namespace {
// Layer i of the spec, which must be a Dense layer.
const layers::Dense& dense(const engine::NetworkSpec& spec, std::size_t i) {
  const auto* layer = spec.layers.at(i)->as<layers::Dense>();
  REQUIRE(layer);
  return *layer;
}
}  // namespace

TEST_CASE("a one-line spec builds the layers it names") {
  const engine::NetworkSpec spec = engine::parse_spec("784-400:relu:l2=0.01-20:tanh-10:softmax");
  REQUIRE(spec.layers.size() == 3);
  CHECK(spec.input == Shape(784));
  CHECK(dense(spec, 0).units == 400);
  CHECK(dense(spec, 0).activation == ActivationKind::relu);
  CHECK(dense(spec, 0).regularizer.l2 == 0.01f);
  CHECK(dense(spec, 0).regularizer.l1 == 0.0f);
  CHECK(spec.output_shape(0) == Shape(400));
  CHECK(dense(spec, 1).activation == ActivationKind::tanh);
  CHECK(dense(spec, 2).units == 10);
  CHECK(dense(spec, 2).activation == ActivationKind::softmax);
  CHECK(spec.output_size() == 10);
  CHECK(spec.param_count() == 784 * 400 + 400 + 400 * 20 + 20 + 20 * 10 + 10);
}

TEST_CASE("options: defaults, exponents and negative numbers, initialisers") {
  const engine::NetworkSpec spec =
      engine::parse_spec("5-3-4:linear:l1l2=1e-3,2E-4:random_normal=-0.5,0.25-2:softmax:he_normal:l1=0.5");
  REQUIRE(spec.layers.size() == 3);
  CHECK(dense(spec, 0).activation == ActivationKind::relu);  // the default, as Dense<In, Out>
  CHECK(dense(spec, 0).initializer.kind == InitializerKind::glorot_uniform);
  CHECK(dense(spec, 1).regularizer.l1 == 1e-3f);
  CHECK(dense(spec, 1).regularizer.l2 == 2e-4f);
  CHECK(dense(spec, 1).initializer.kind == InitializerKind::random_normal);
  CHECK(dense(spec, 1).initializer.mean == -0.5f);
  CHECK(dense(spec, 1).initializer.stddev == 0.25f);
  CHECK(dense(spec, 2).initializer.kind == InitializerKind::he_normal);
  CHECK(dense(spec, 2).regularizer.l1 == 0.5f);
  CHECK(spec.to_string() == "5-3:relu-4:linear:l1l2=0.001,2e-04:random_normal=-0.5,0.25-2:softmax:l1=0.5:he_normal");
}

TEST_CASE("every Net type describes itself as a spec that parses back to the same network") {
  using A = Net<Dense<784, 400, ReLU, L2<0.01f>>, Dense<400, 20>, Softmax<10>>;
  CHECK(A::spec() == "784-400:relu:l2=0.01-20:relu-10:softmax");
  using B = Net<Dense<3, 5, Sigmoid, L1L2<0.25f, 1e-5f>, RandomNormal<-1.5f, 0.125f>>, Dense<5, 7, Linear, Zeros>,
                Softmax<2, L1<0.3f>, HeNormal>>;
  CHECK(B::spec() == "3-5:sigmoid:l1l2=0.25,1e-05:random_normal=-1.5,0.125-7:linear:zeros-2:softmax:l1=0.3:he_normal");
  for (const std::string& text : {A::spec(), B::spec()}) CHECK(engine::parse_spec(text).to_string() == text);
  const engine::NetworkSpec b = engine::parse_spec(B::spec());
  CHECK(dense(b, 0).regularizer.l2 == 1e-5f);  // the float bits survive the round trip
  CHECK(dense(b, 2).regularizer.l1 == 0.3f);
}

TEST_CASE("layers of their own: BatchNorm, Dropout and activations anywhere, written as words") {
  const engine::NetworkSpec spec = engine::parse_spec("784-dropout=0.2-400:linear-batchnorm-relu-10:softmax");
  REQUIRE(spec.layers.size() == 5);
  CHECK(spec.layers[0]->as<layers::Dropout>()->rate == 0.2f);
  CHECK(dense(spec, 1).activation == ActivationKind::linear);
  CHECK(spec.layers[2]->as<layers::BatchNorm>()->momentum == 0.99f);
  CHECK(spec.layers[3]->as<layers::Activation>()->activation == ActivationKind::relu);
  CHECK(spec.to_string() == "784-dropout=0.2-400:linear-batchnorm-relu-10:softmax");
  CHECK(spec.architecture() == "784-400:linear:batchnorm-relu-10:softmax");
  // The same network as a type, and as the engine builds it.
  using Typed = Net<Dropout<0.2>, Dense<784, 400, Linear>, BatchNorm<>, Activation<ReLU>, Softmax<10>>;
  CHECK(Typed::spec() == spec.to_string());
  CHECK(Typed::architecture() == spec.architecture());
  CHECK(engine::Network(spec).summary() == Typed::summary());
  // A Dense layer's batchnorm and dropout options are the same layers written after it.
  const engine::NetworkSpec options = engine::parse_spec("8-6:tanh:dropout=0.5:batchnorm=0.9-3:softmax");
  REQUIRE(options.layers.size() == 4);
  CHECK(options.layers[1]->as<layers::BatchNorm>()->momentum == 0.9f);
  CHECK(options.layers[2]->as<layers::Dropout>()->rate == 0.5f);
  CHECK(options.to_string() == "8-6:tanh:batchnorm=0.9:dropout=0.5-3:softmax");
  CHECK(engine::parse_spec("8-6:tanh-batchnorm=0.9-dropout=0.5-3:softmax").to_string() == options.to_string());
  // An image input, which the Dense layer after it cannot read yet.
  CHECK(engine::parse_spec("28x28x1-10:softmax").input == Shape(28, 28, 1));
  CHECK_THROWS_WITH(engine::parse_spec("28x28x1-10:softmax").param_count(), Catch::Matchers::Contains("put Flatten before it"));
}

namespace {
// The message of the error parse_spec throws for `text`.
std::string error_of(std::string_view text) {
  try {
    engine::parse_spec(text);
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("no error for \"" << text << "\"");
  return {};
}
}  // namespace

namespace {
// y = x / 2: an inference-only layer kind written outside ctnn, for the registry test.
struct Halve {
  static constexpr std::string_view keras_type = "Halve";
  constexpr Shape output_shape(const Shape& input) const { return input; }
  constexpr layers::Tensors parameters(const Shape&) const { return {}; }
  constexpr layers::ScratchList scratch(const Shape&) const { return {}; }
  constexpr layers::LayerTraits traits() const { return {}; }
  constexpr layers::BackwardSteps backward_steps() const { return {}; }
  std::string spec() const { return "halve"; }
  constexpr std::string architecture() const { return "halve"; }
  template <class Io>
  void forward_inference(const Io& io) const {
    for (std::size_t r = 0; r < io.rows; ++r)
      for (std::size_t c = 0; c < io.output_stride; ++c)
        io.output[r * io.output_stride + c] = c < io.input_shape.elements() ? 0.5f * io.input[r * io.input_stride + c] : 0.0f;
  }
  template <class Io>
  void forward_training(const Io& io) const {
    forward_inference(io);
  }
};
}  // namespace

TEST_CASE("a layer kind of one's own joins the spec language with one registration") {
  CHECK_THROWS_WITH(engine::parse_spec("4-halve-2:softmax"), Catch::Matchers::Contains("unknown layer 'halve'"));
  engine::register_layer("halve", [](std::string_view value) -> engine::Layer {
    if (!value.empty()) throw Error("'halve' takes no value");
    return Halve{};
  });
  const engine::NetworkSpec spec = engine::parse_spec("4-halve-2:softmax");
  CHECK(spec.to_string() == "4-halve-2:softmax");
  CHECK_THAT(error_of("4-halve=3-2:softmax"), Catch::Matchers::Contains("'halve' takes no value"));
  const engine::Network network(spec);
  const float x[4] = {1, 2, 3, 4};
  alignas(64) float outputs[2][64] = {};
  network.run_inference(x, 1, false, [&](std::size_t i, const float*) { return outputs[i]; });
  CHECK(std::vector<float>(outputs[0], outputs[0] + 4) == std::vector<float>{0.5f, 1, 1.5f, 2});
}

TEST_CASE("invalid specs give one error that points at the offending token") {
  using Catch::Matchers::Contains;
  const std::string unknown = error_of("784-400:relw-10:softmax");
  CHECK_THAT(unknown, Contains("unknown activation or option 'relw'"));
  CHECK_THAT(unknown, Contains("\n  784-400:relw-10:softmax\n          ^^^^"));

  CHECK_THAT(error_of(""), Contains("the spec is empty"));
  CHECK_THAT(error_of("   "), Contains("the spec is empty"));
  CHECK_THAT(error_of("784"), Contains("an input size but no layers"));
  CHECK_THAT(error_of("784-0:relu-10:softmax"), Contains("layer size 0: every layer needs at least one unit"));
  CHECK_THAT(error_of("784--10:softmax"), Contains("a layer size is missing next to this '-'"));
  CHECK_THAT(error_of("784-10:softmax-"), Contains("a layer size is missing next to this '-'"));
  CHECK_THAT(error_of("784-abc-10:softmax"), Contains("unknown layer 'abc'"));
  // The words a spec knows (a registered one may stand among them, when the registry test ran first).
  CHECK_THAT(error_of("784-abc-10:softmax"), Contains("a layer is a size (400:relu) or one of: avgpool, batchnorm, conv, dropout, "));
  CHECK_THAT(error_of("784-abc-10:softmax"), Contains("flatten, globalavgpool, "));
  CHECK_THAT(error_of("784-abc-10:softmax"), Contains("linear, maxpool, relu, rescale, sigmoid, tanh"));
  // Convolutional words.
  CHECK_THAT(error_of("28x28x1-conv-10:softmax"), Contains("'conv' needs its filters and kernel: conv=32x3x3"));
  CHECK_THAT(error_of("28x28x1-conv=32x3x0-10:softmax"), Contains("'0' is not a whole number from 1 to 2^26"));
  CHECK_THAT(error_of("28x28x1-conv=32x3x3:wide-flatten-10:softmax"), Contains("unknown conv option 'wide'"));
  CHECK_THAT(error_of("28x28x1-conv=32x3x3:stride=x-flatten-10:softmax"), Contains("'x' is not a whole number"));
  CHECK_THROWS_WITH(engine::Network{std::string_view("4x4x1-conv=8x5x5-flatten-10:softmax")}, Contains("Conv2D's kernel (5x5) is larger than its 4x4x1 input"));
  CHECK_THAT(error_of("28x28x1-maxpool=2:step=1-flatten-10:softmax"), Contains("unknown pooling option 'step=1'"));
  CHECK_THROWS_WITH(engine::Network{std::string_view("784-maxpool=2-10:softmax")}, Contains("MaxPooling2D reads images (height x width x channels), not 784 features"));
  CHECK_THAT(error_of("28x28x1-rescale-flatten-10:softmax"), Contains("'rescale' needs a scale"));
  CHECK_THROWS_WITH(engine::Network{std::string_view("28x28x1-conv=8x3x3-10:softmax")}, Contains("Dense reads a vector of features, not a 26x26x8 image; put Flatten before it"));
  CHECK_THAT(error_of("784-dropout-10:softmax"), Contains("'dropout' needs a rate"));
  CHECK_THAT(error_of("784-dropout=1.5-10:softmax"), Contains("in [0, 1)"));
  CHECK_THAT(error_of("784-dropout=1.5-10:softmax"), Contains("\n      ^^^^^^^^^^^"));
  CHECK_THAT(error_of("784-relu=2-10:softmax"), Contains("'relu' takes no value"));
  CHECK_THAT(error_of("28x28-10:softmax"), Contains("'28x28' is not an input shape"));
  CHECK_THAT(error_of("67108864x67108864x2-10:softmax"), Contains("has more than 67108864 values"));
  CHECK_THAT(error_of("784-4.5-10:softmax"), Contains("'4.5' is not a layer size"));
  CHECK_THAT(error_of("784-99999999999-10:softmax"), Contains("is too large"));
  CHECK_THAT(error_of("784-400:l2=0.o1-10:softmax"), Contains("'0.o1' is not a number"));
  CHECK_THAT(error_of("784-400:l2=0.o1-10:softmax"), Contains("\n             ^^^^"));
  CHECK_THAT(error_of("784-400:l2=-0.1-10:softmax"), Contains("must not be negative"));
  CHECK_THAT(error_of("784-400:l2-10:softmax"), Contains("'l2' needs a value"));
  CHECK_THAT(error_of("784-400:l1l2=0.1-10:softmax"), Contains("two numbers separated by ','"));
  CHECK_THAT(error_of("784-400:relu:tanh-10:softmax"), Contains("already has 'relu'"));
  CHECK_THAT(error_of("784-400:l1=0.1:l2=0.1-10:softmax"), Contains("one kernel regulariser"));
  CHECK_THAT(error_of("784-400:softmax-10:softmax"), Contains("softmax is only allowed on the output layer"));
  CHECK_THAT(error_of("784:relu-10:softmax"), Contains("the input size; it takes no options"));
  CHECK_THAT(error_of("784-400::relu-10"), Contains("empty option"));
  CHECK_THAT(error_of("784-400:zeros=1-10"), Contains("'zeros' takes no value"));
  CHECK_THAT(error_of("784-400:l2=nan-10"), Contains("'nan' is not a number"));
}

TEST_CASE("spec files: one layer per line, comments, errors with file:line:column") {
  testing::TempDir dir;
  const auto good = dir.path() / "seed.spec";
  std::ofstream(good) << "# the seed network\n784\n400:relu   # hidden\n\n  20 : relu\n10:softmax\n";
  CHECK(engine::load_spec(good).to_string() == "784-400:relu-20:relu-10:softmax");

  const auto bad = dir.path() / "bad.spec";
  std::ofstream(bad) << "784\n400:relu\n20:sigmiod\n10:softmax\n";
  try {
    engine::load_spec(bad);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), Catch::Matchers::Contains(bad.string() + ":3:4: unknown activation or option 'sigmiod'"));
    CHECK_THAT(e.what(), Catch::Matchers::Contains("\n  20:sigmiod\n     ^^^^^^^"));
  }
  CHECK_THROWS_WITH(engine::load_spec(dir.path() / "missing.spec"),
                    Catch::Matchers::Contains("missing.spec: cannot open the network spec file"));
}

TEST_CASE("the engine refuses what it cannot build or train") {
  CHECK_THROWS_WITH(engine::Network(Shape(4), {layers::Dense{.units = 3}, layers::Dense{.units = 0}}),
                    Catch::Matchers::Contains("layer 1 (Dense) reading 3: Dense has 0 units"));
  CHECK_THROWS_WITH(engine::Network(Shape(4), {layers::Dense{.units = 3, .activity_l1 = -1.0f}}),
                    Catch::Matchers::Contains("layer 0 (Dense) reading the input, 4: Dense has an activity_l1 coefficient of -1"));
  CHECK_THROWS_WITH(engine::Network("100000-100000:relu-2:softmax"), Catch::Matchers::Contains("more than 2^30 parameters"));
  engine::Network no_softmax{"4-3:relu-2:linear"};
  CHECK_THROWS_WITH(engine::TrainingStep(no_softmax, 8), Catch::Matchers::Contains("needs a softmax output layer"));
  engine::Network network{"4-3:relu-2:softmax"};
  CHECK_THROWS_WITH(engine::TrainingStep(network, 0), Catch::Matchers::Contains("at least 1"));
}
