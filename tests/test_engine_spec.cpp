// The generic engine's spec language: parsing, the canonical form every Net type produces,
// and one clear error per kind of mistake, pointing at the offending token.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include "temp_dir.hpp"

using namespace ctnn;
using engine::ActivationKind;
using engine::InitializerKind;

TEST_CASE("a one-line spec builds the layers it names") {
  const engine::NetworkSpec spec = engine::parse_spec("784-400:relu:l2=0.01-20:tanh-10:softmax");
  REQUIRE(spec.layers.size() == 3);
  CHECK(spec.layers[0].inputs == 784);
  CHECK(spec.layers[0].outputs == 400);
  CHECK(spec.layers[0].activation == ActivationKind::relu);
  CHECK(spec.layers[0].regularizer.l2 == 0.01f);
  CHECK(spec.layers[0].regularizer.l1 == 0.0f);
  CHECK(spec.layers[1].inputs == 400);
  CHECK(spec.layers[1].activation == ActivationKind::tanh);
  CHECK(spec.layers[2].outputs == 10);
  CHECK(spec.layers[2].activation == ActivationKind::softmax);
  CHECK(spec.param_count() == 784 * 400 + 400 + 400 * 20 + 20 + 20 * 10 + 10);
}

TEST_CASE("options: defaults, exponents and negative numbers, initialisers") {
  const engine::NetworkSpec spec =
      engine::parse_spec("5-3-4:linear:l1l2=1e-3,2E-4:random_normal=-0.5,0.25-2:softmax:he_normal:l1=0.5");
  REQUIRE(spec.layers.size() == 3);
  CHECK(spec.layers[0].activation == ActivationKind::relu);  // the default, as Dense<In, Out>
  CHECK(spec.layers[0].initializer.kind == InitializerKind::glorot_uniform);
  CHECK(spec.layers[1].regularizer.l1 == 1e-3f);
  CHECK(spec.layers[1].regularizer.l2 == 2e-4f);
  CHECK(spec.layers[1].initializer.kind == InitializerKind::random_normal);
  CHECK(spec.layers[1].initializer.mean == -0.5f);
  CHECK(spec.layers[1].initializer.stddev == 0.25f);
  CHECK(spec.layers[2].initializer.kind == InitializerKind::he_normal);
  CHECK(spec.layers[2].regularizer.l1 == 0.5f);
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
  CHECK(b.layers[0].regularizer.l2 == 1e-5f);  // the float bits survive the round trip
  CHECK(b.layers[2].regularizer.l1 == 0.3f);
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
  CHECK_THAT(error_of("784-abc-10:softmax"), Contains("'abc' is not a layer size"));
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
  engine::NetworkSpec mismatched = engine::parse_spec("4-3:relu-2:softmax");
  mismatched.layers[1].inputs = 5;
  CHECK_THROWS_WITH(engine::Network(mismatched), Catch::Matchers::Contains("layer 1 reads 5 values but the layer before it outputs 3"));
  CHECK_THROWS_WITH(engine::Network("100000-100000:relu-2:softmax"), Catch::Matchers::Contains("more than 2^30 parameters"));
  engine::Network no_softmax{"4-3:relu-2:linear"};
  CHECK_THROWS_WITH(engine::TrainingStep(no_softmax, 8), Catch::Matchers::Contains("needs a softmax output layer"));
  engine::Network network{"4-3:relu-2:softmax"};
  CHECK_THROWS_WITH(engine::TrainingStep(network, 0), Catch::Matchers::Contains("at least 1"));
}
