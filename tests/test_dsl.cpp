#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>
#include <type_traits>

using namespace ctnn;

using SeedNet = Net<Dense<784, 400, ReLU>, Dense<400, 20>, Softmax<10>>;
using Mixed = Net<Dense<13, 7, Tanh, L2<0.01f>, HeNormal>, Dense<7, 5, Sigmoid, L1L2<0.001f, 0.002f>>, Softmax<3, L1<0.5f>>>;

TEST_CASE("compile-time facts of the seed network") {
  STATIC_REQUIRE(SeedNet::depth == 3);
  STATIC_REQUIRE(SeedNet::input_size == 784);
  STATIC_REQUIRE(SeedNet::output_size == 10);
  // 784*400 + 400 + 400*20 + 20 + 20*10 + 10
  STATIC_REQUIRE(SeedNet::param_count == 322230);
  STATIC_REQUIRE(SeedNet::layer_inputs == std::array<std::size_t, 3>{784, 400, 20});
  STATIC_REQUIRE(SeedNet::layer_outputs == std::array<std::size_t, 3>{400, 20, 10});
}

TEST_CASE("Softmax takes its input size from the layer before it") {
  using Out = SeedNet::layer<2>;
  STATIC_REQUIRE(Out::inputs == 20);
  STATIC_REQUIRE(Out::outputs == 10);
  STATIC_REQUIRE(Out::param_count == 210);
}

TEST_CASE("defaults: ReLU activation, GlorotUniform initialiser, no regulariser") {
  using Hidden = SeedNet::layer<1>;
  STATIC_REQUIRE(std::is_same_v<Hidden::activation, ReLU>);
  STATIC_REQUIRE(std::is_same_v<Hidden::initializer, GlorotUniform>);
  STATIC_REQUIRE(std::is_same_v<Hidden::regularizer, NoRegularizer>);
  STATIC_REQUIRE(!is_regularized<Hidden::regularizer>);
}

TEST_CASE("options are found in any order") {
  STATIC_REQUIRE(std::is_same_v<Mixed::layer<0>::initializer, HeNormal>);
  STATIC_REQUIRE(Mixed::layer<0>::regularizer::l2 == 0.01f);
  STATIC_REQUIRE(Mixed::layer<0>::regularizer::l1 == 0.0f);
  STATIC_REQUIRE(Mixed::layer<1>::regularizer::l1 == 0.001f);
  STATIC_REQUIRE(Mixed::layer<1>::regularizer::l2 == 0.002f);
  STATIC_REQUIRE(Mixed::layer<2>::regularizer::l1 == 0.5f);
  using Swapped = Dense<3, 4, Linear, Zeros, L2<0.5f>>::resolve<3>;
  STATIC_REQUIRE(std::is_same_v<Swapped::initializer, Zeros>);
  STATIC_REQUIRE(Swapped::regularizer::l2 == 0.5f);
  STATIC_REQUIRE(Mixed::param_count == 13 * 7 + 7 + 7 * 5 + 5 + 5 * 3 + 3);
}

TEST_CASE("describe() spells the type as it reads in source") {
  CHECK(SeedNet::describe() == "Net<Dense<784, 400, ReLU>, Dense<400, 20, ReLU>, Softmax<10>>");
  CHECK(Mixed::describe() ==
        "Net<Dense<13, 7, Tanh, L2<0.01>, HeNormal>, Dense<7, 5, Sigmoid, L1L2<0.001, 0.002>>, Softmax<3, L1<0.5>>>");
  CHECK(Net<Dense<2, 2, Linear, RandomNormal<0.5f, 0.25f>>>::describe() == "Net<Dense<2, 2, Linear, RandomNormal<0.5, 0.25>>>");
}

TEST_CASE("coefficients may be written as double, float or integer literals, as in the brief's example") {
  using Brief = Net<Dense<784, 400, ReLU, L2<0.01>>, Dense<400, 20>, Softmax<10>>;
  STATIC_REQUIRE(Brief::layer<0>::regularizer::l2 == 0.01f);
  STATIC_REQUIRE(L1L2<1, 0.5>::l1 == 1.0f);
  STATIC_REQUIRE(L1L2<1, 0.5>::l2 == 0.5f);
  STATIC_REQUIRE(RandomNormal<0, 0.1>::stddev == 0.1f);
  // Written either way, the layer trains with the same float coefficient and reads the same.
  CHECK(Brief::describe() == "Net<Dense<784, 400, ReLU, L2<0.01>>, Dense<400, 20, ReLU>, Softmax<10>>");
  CHECK(Brief::spec() == Net<Dense<784, 400, ReLU, L2<0.01f>>, Dense<400, 20>, Softmax<10>>::spec());
}
