// Both backends on layer sequences that only the layer protocol can express: Dense(linear) ->
// BatchNorm -> Activation(relu), Dropout on the inputs, and a layer kind defined outside ctnn
// (tests/plugins/per_feature_scale.hpp). The engine's forward passes against the double-precision
// reference of tests/layer_reference.hpp, its gradients against central finite differences of that
// reference; the Net of the same layers against the engine, bit for bit.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include <vector>

#include "layer_reference.hpp"
#include "plugins/per_feature_scale.hpp"
#include "temp_dir.hpp"
#include "test_data.hpp"

using namespace ctnn;
using namespace layer_reference;

TEST_CASE("Dense(linear) -> BatchNorm -> Activation(relu) trains on the engine, checked by finite differences") {
  engine::Network network{Shape(7),
                          {layers::Dense{.units = 11, .activation = ActivationKind::linear},
                           layers::BatchNorm{}, layers::Activation{ActivationKind::relu},
                           layers::Dense{.units = 5, .activation = ActivationKind::tanh}, layers::BatchNorm{.momentum = 0.9f},
                           layers::Activation{ActivationKind::sigmoid},
                           layers::Dense{.units = 3, .activation = ActivationKind::softmax}},
                          Seed{3}};
  // Away from gamma 1, beta 0.
  Rng rng(9, 0);
  for (std::size_t i : {1u, 4u})
    for (std::size_t k : {0u, 1u})
      for (float& v : network.tensor(i, k).row(0)) v = float(0.5 + rng.uniform());
  check_gradients(network, 9, 11);
  check_inference(network, 9, 12);
  check_net_matches_engine<Net<Dense<7, 11, Linear>, BatchNorm<>, Activation<ReLU>, Dense<11, 5, Tanh>, BatchNorm<0.9>,
                               Activation<Sigmoid>, Softmax<3>>>(network, 9, 13);
  CHECK(network.describe() == "7-11:linear-batchnorm-relu-5:tanh-batchnorm=0.9-sigmoid-3:softmax");
  CHECK(network.architecture() == "7-11:linear:batchnorm-relu-5:tanh:batchnorm-sigmoid-3:softmax");
}

TEST_CASE("Dropout on the inputs and between layers trains on the engine, checked by finite differences") {
  engine::Network network{Shape(13),
                          {layers::Dropout{.rate = 0.2f}, layers::Dense{.units = 9, .activation = ActivationKind::relu},
                           layers::Dropout{.rate = 0.5f}, layers::Dense{.units = 4, .activation = ActivationKind::softmax}},
                          Seed{5}};
  check_gradients(network, 10, 21);
  check_inference(network, 10, 22);
  check_net_matches_engine<Net<Dropout<0.2>, Dense<13, 9, ReLU>, Dropout<0.5>, Softmax<4>>>(network, 10, 23);
  // The inputs' mask drops about a fifth of them.
  const testing::Batch batch = testing::random_batch(200, 13, 4, 1);
  engine::TrainingStep step(network, 200);
  step.seed_dropout(1);
  step.load_batch(batch.x.data(), batch.labels.data(), testing::first_indices(200));
  step.compute_gradients(200);
  std::size_t dropped = 0;
  for (std::size_t r = 0; r < 200; ++r)
    for (std::size_t c = 0; c < 13; ++c) dropped += step.scratch(0, 0)[r * network.output_stride(0) + c] == 0.0f;
  CHECK(dropped > 200 * 13 / 5 - 100);
  CHECK(dropped < 200 * 13 / 5 + 100);
}

TEST_CASE("a layer kind defined outside ctnn trains on the engine through the protocol") {
  engine::Network network{Shape(6),
                          {plugin::PerFeatureScale{}, layers::Dense{.units = 8, .activation = ActivationKind::tanh},
                           plugin::PerFeatureScale{}, layers::Dense{.units = 3, .activation = ActivationKind::softmax}},
                          Seed{7}};
  Rng rng(4, 0);
  for (std::size_t i : {0u, 2u})
    for (float& v : network.tensor(i, 0).row(0)) v = float(0.5 + rng.uniform());
  check_gradients(network, 7, 31);
  check_inference(network, 7, 32);
  check_net_matches_engine<Net<Layer<plugin::PerFeatureScale{}>, Dense<6, 8, Tanh>, Layer<plugin::PerFeatureScale{}>, Softmax<3>>>(
      network, 7, 33);
  CHECK(network.param_count() == 6 + (6 * 8 + 8) + 8 + (8 * 3 + 3));
  const std::string summary = network.summary();
  // Keras's names from the type, the label wrapped at the column's width as Keras 2 prints it.
  CHECK_THAT(summary, Catch::Contains(" per_feature_scale (PerFeatu (None, 6)                 6\n reScale)\n"));
  CHECK_THAT(summary, Catch::Contains(" per_feature_scale_1 (PerFea (None, 8)                 8\n"));
  CHECK_THAT(summary, Catch::Contains("Total params: 97 "));
  CHECK(network.describe() == "6-scale-8:tanh-scale-3:softmax");
}

TEST_CASE("a layer kind defined outside ctnn goes through model files and .npz archives on both backends") {
  using N = Net<Layer<plugin::PerFeatureScale{}>, Dense<6, 8, Tanh>, Layer<plugin::PerFeatureScale{}>, Softmax<3>>;
  testing::TempDir dir;
  Model<N> model{Seed{21}};
  Rng rng(5, 0);
  for (std::size_t i : {0u, 2u})
    for (float& v : model.tensor(i, 0).row(0)) v = float(0.5 + rng.uniform());
  io::save(model, dir / "scaled.ctnn");
  io::save_npz(model, dir / "scaled.npz");

  // The file names the plugin's weights as Keras would, and records its token in the architecture.
  const io::ModelFile file = io::read_model_file(dir / "scaled.ctnn");
  CHECK(file.architecture == "6-scale-8:tanh-scale-3:softmax");
  REQUIRE(file.tensors.size() == 6);
  CHECK(file.tensors[0].name == "per_feature_scale/scale");
  CHECK(file.tensors[0].shape == std::vector<std::size_t>{6});
  CHECK(file.tensors[3].name == "per_feature_scale_1/scale");
  CHECK(io::read_npz(dir / "scaled.npz").at("per_feature_scale_1/scale").values ==
        std::vector<float>(model.weight("per_feature_scale_1/scale").row(0).begin(), model.weight("per_feature_scale_1/scale").row(0).end()));

  // Once its word is registered, the engine builds the network from the file alone.
  engine::register_layer("scale", [](std::string_view) { return plugin::PerFeatureScale{}; });
  engine::Network network = io::load_network(dir / "scaled.ctnn");
  CHECK(std::ranges::equal(network.parameters(), model.parameters()));
  // A kind that does not say how to export itself stops the export with its name and position.
  CHECK_THROWS_WITH(io::exported_header(file, "scaled"),
                    "export_header: 6-scale-8:tanh-scale-3:softmax: layer 0: a PerFeatureScale layer cannot be exported: its "
                    "kind has no exported_inference (see layers/protocol.hpp)");
  engine::Network from_npz{N::spec(), Seed{1}};
  io::load_npz(from_npz, dir / "scaled.npz");
  CHECK(std::ranges::equal(from_npz.parameters(), model.parameters()));
  Model<N> back{Seed{2}};
  io::save(network, dir / "engine.ctnn");
  io::load_into(back, dir / "engine.ctnn");
  CHECK(std::ranges::equal(back.parameters(), model.parameters()));
}

TEST_CASE("a Net starts from the weights the engine draws for the same layers and seed") {
  using N = Net<Dropout<0.1>, Dense<5, 4, Tanh, L2<0.01>, HeNormal>, BatchNorm<>, Dense<4, 3, Linear, RandomNormal<0.5, 2>>,
                Softmax<2>>;
  const engine::Network network{Shape(5),
                                {layers::Dropout{.rate = 0.1f}, std::get<1>(N::kinds), layers::BatchNorm{},
                                 std::get<3>(N::kinds), std::get<4>(N::kinds)},
                                Seed{17}};
  const Model<N> model{Seed{17}};
  CHECK(std::ranges::equal(model.parameters(), network.parameters()));
  CHECK(model.regularization_penalty() == network.regularization_penalty());
  CHECK(model.regularization_penalty() > 0.0);
}

TEST_CASE("the engine names the layer, its position and the shapes when a layer cannot read its input") {
  CHECK_THROWS_WITH((engine::Network{Shape(28, 28, 1), {layers::Dense{.units = 10, .activation = ActivationKind::softmax}}}),
                    "engine::Network: layer 0 (Dense) reading the input, 28x28x1: Dense reads a vector of features, "
                    "not a 28x28x1 image; put Flatten before it");
  CHECK_THROWS_WITH((engine::Network{Shape(4), {layers::Dropout{.rate = 1.5f}, layers::Dense{.units = 2, .activation = ActivationKind::softmax}}}),
                    Catch::Contains("layer 0 (Dropout)") && Catch::Contains("[0, 1)"));
  CHECK_THROWS_WITH((engine::Network{Shape(4), {layers::Dense{.units = 2, .activation = ActivationKind::softmax},
                                                layers::Dense{.units = 2, .activation = ActivationKind::softmax}}}),
                    Catch::Contains("softmax is only allowed on the output layer"));
}
