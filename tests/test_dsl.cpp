#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>
#include <type_traits>

using namespace ctnn;

using SeedNet = Net<Dense<784, 400, ReLU>, Dense<400, 20>, Softmax<10>>;
using Mixed = Net<Dense<13, 7, Tanh, L2<0.01f>, HeNormal>, Dense<7, 5, Sigmoid, L1L2<0.001f, 0.002f>>, Softmax<3, L1<0.5f>>>;

TEST_CASE("compile-time facts of the seed network") {
  STATIC_REQUIRE(SeedNet::input_size == 784);
  STATIC_REQUIRE(SeedNet::output_size == 10);
  // 784*400 + 400 + 400*20 + 20 + 20*10 + 10
  STATIC_REQUIRE(SeedNet::param_count == 322230);
  STATIC_REQUIRE(SeedNet::layer_count == 3);
  STATIC_REQUIRE(SeedNet::input_shape == Shape(784));
  STATIC_REQUIRE(SeedNet::output_shapes == std::array{Shape(400), Shape(20), Shape(10)});
  STATIC_REQUIRE(SeedNet::tensors[1][0].rows == 400);
  STATIC_REQUIRE(SeedNet::tensors[1][0].columns == 20);
}

TEST_CASE("Softmax takes its input size from the layer before it") {
  constexpr const layers::Tensors& out = SeedNet::tensors[2];
  STATIC_REQUIRE(out[0].name == "kernel");
  STATIC_REQUIRE(out[0].rows == 20);
  STATIC_REQUIRE(out[0].columns == 10);
  STATIC_REQUIRE(out[1].name == "bias");
  STATIC_REQUIRE(out[1].elements() == 10);
  STATIC_REQUIRE(SeedNet::traits[2].produces_probabilities);
  STATIC_REQUIRE(std::get<2>(SeedNet::kinds).activation == ActivationKind::softmax);
}

TEST_CASE("defaults: ReLU activation, GlorotUniform initialiser, no regulariser") {
  constexpr layers::Dense hidden = std::get<1>(SeedNet::kinds);
  STATIC_REQUIRE(hidden.activation == ActivationKind::relu);
  STATIC_REQUIRE(hidden.initializer.kind == InitializerKind::glorot_uniform);
  STATIC_REQUIRE(hidden.regularizer == RegularizerSpec{});
  STATIC_REQUIRE(SeedNet::tensors[1][1].initializer.kind == InitializerKind::zeros);  // the bias
}

TEST_CASE("options are found in any order") {
  STATIC_REQUIRE(std::get<0>(Mixed::kinds).initializer.kind == InitializerKind::he_normal);
  STATIC_REQUIRE(std::get<0>(Mixed::kinds).regularizer.l2 == 0.01f);
  STATIC_REQUIRE(std::get<0>(Mixed::kinds).regularizer.l1 == 0.0f);
  STATIC_REQUIRE(std::get<1>(Mixed::kinds).regularizer.l1 == 0.001f);
  STATIC_REQUIRE(std::get<1>(Mixed::kinds).regularizer.l2 == 0.002f);
  STATIC_REQUIRE(std::get<2>(Mixed::kinds).regularizer.l1 == 0.5f);
  constexpr layers::Dense swapped = Dense<3, 4, Linear, Zeros, L2<0.5f>>::layer;
  STATIC_REQUIRE(swapped.initializer.kind == InitializerKind::zeros);
  STATIC_REQUIRE(swapped.regularizer.l2 == 0.5f);
  STATIC_REQUIRE(Dense<3, 4, Linear, RandomNormal<0.5, 2>>::layer.initializer ==
                 InitializerSpec{InitializerKind::random_normal, 0.5f, 2.0f});
  STATIC_REQUIRE(Mixed::param_count == 13 * 7 + 7 + 7 * 5 + 5 + 5 * 3 + 3);
}

TEST_CASE("BatchNorm and Dropout are layers of their own, anywhere") {
  using Free = Net<Dropout<0.2>, Dense<8, 6, Linear>, BatchNorm<0.9>, Dropout<0.5>, BatchNorm<>, Dense<6, 4>, Softmax<3>>;
  STATIC_REQUIRE(Free::input_shape == Shape(8));
  STATIC_REQUIRE(Free::layer_count == 7);
  STATIC_REQUIRE(Free::keras_types == std::array<std::string_view, 7>{"Dropout", "Dense", "BatchNormalization", "Dropout",
                                                                      "BatchNormalization", "Dense", "Dense"});
  STATIC_REQUIRE(Free::tensors[2].size() == 4);  // gamma, beta and the moving statistics
  STATIC_REQUIRE(Free::param_count == 8 * 6 + 6 + 4 * 6 + 4 * 6 + 6 * 4 + 4 + 4 * 3 + 3);
  CHECK(Free::architecture() == "8-6:linear:batchnorm-batchnorm-4:relu-3:softmax");
  // One token per layer: the spec language of today writes a BatchNorm or Dropout only after a Dense layer.
  CHECK(Free::spec() == "8-dropout=0.2-6:linear-batchnorm=0.9-dropout=0.5-batchnorm-4:relu-3:softmax");
  CHECK(Net<Dense<8, 6>, BatchNorm<>, Dropout<0.5>, Softmax<3>>::spec() == "8-6:relu:batchnorm:dropout=0.5-3:softmax");
}

TEST_CASE("describe() spells the type as it reads in source") {
  CHECK(SeedNet::describe() == "Net<Dense<784, 400, ReLU>, Dense<400, 20, ReLU>, Softmax<10>>");
  CHECK(Mixed::describe() ==
        "Net<Dense<13, 7, Tanh, L2<0.01>, HeNormal>, Dense<7, 5, Sigmoid, L1L2<0.001, 0.002>>, Softmax<3, L1<0.5>>>");
  CHECK(Net<Dense<2, 2, Linear, RandomNormal<0.5f, 0.25f>>>::describe() == "Net<Dense<2, 2, Linear, RandomNormal<0.5, 0.25>>>");
}

TEST_CASE("coefficients may be written as double, float or integer literals, as in the brief's example") {
  using Brief = Net<Dense<784, 400, ReLU, L2<0.01>>, Dense<400, 20>, Softmax<10>>;
  STATIC_REQUIRE(std::get<0>(Brief::kinds).regularizer.l2 == 0.01f);
  STATIC_REQUIRE(L1L2<1, 0.5>::l1 == 1.0f);
  STATIC_REQUIRE(L1L2<1, 0.5>::l2 == 0.5f);
  STATIC_REQUIRE(RandomNormal<0, 0.1>::stddev == 0.1f);
  // Written either way, the layer trains with the same float coefficient and reads the same.
  CHECK(Brief::describe() == "Net<Dense<784, 400, ReLU, L2<0.01>>, Dense<400, 20, ReLU>, Softmax<10>>");
  CHECK(Brief::spec() == Net<Dense<784, 400, ReLU, L2<0.01f>>, Dense<400, 20>, Softmax<10>>::spec());
}
