// Both backends on image layers: an image input with Flatten and a Dense layer that infers its
// size, convolutions (same and valid, 1x1 to 5x5, strided), pooling, rescaling and BatchNorm on
// feature maps. The engine against the double-precision reference of tests/layer_reference.hpp and
// finite differences of it; the Net of the same layers against the engine, bit for bit.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "layer_reference.hpp"
#include "temp_dir.hpp"
#include "test_data.hpp"

using namespace ctnn;
using namespace layer_reference;

TEST_CASE("an image input, Flatten and a Dense layer that infers its input size train on both backends") {
  using N = Net<Input<3, 4, 2>, Dropout<0.25>, Flatten, Dense<inferred, 6, Tanh>, BatchNorm<>, Softmax<3>>;
  STATIC_REQUIRE(N::input_shape == Shape(3, 4, 2));
  STATIC_REQUIRE(N::input_size == 24);
  STATIC_REQUIRE(N::output_shapes[0] == Shape(3, 4, 2));
  STATIC_REQUIRE(N::output_shapes[1] == Shape(24));
  STATIC_REQUIRE(N::param_count == 24 * 6 + 6 + 4 * 6 + 6 * 3 + 3);
  // A stated input size is allowed where it is right.
  STATIC_REQUIRE(Net<Input<3, 4, 2>, Flatten, Dense<24, 6, Tanh>, Softmax<3>>::param_count == 24 * 6 + 6 + 6 * 3 + 3);
  CHECK(N::describe() == "Net<Input<3, 4, 2>, Dropout<0.25>, Flatten, Dense<inferred, 6, Tanh>, BatchNorm<>, Softmax<3>>");
  CHECK(N::spec() == "3x4x2-dropout=0.25-flatten-6:tanh-batchnorm-3:softmax");
  CHECK(N::architecture() == "3x4x2-flatten-6:tanh:batchnorm-3:softmax");
  CHECK_THAT(N::summary(), Catch::Contains(" dropout (Dropout)           (None, 3, 4, 2)           0\n"));
  CHECK_THAT(N::summary(), Catch::Contains(" flatten (Flatten)           (None, 24)                0\n"));

  engine::Network network{N::spec(), Seed{4}};
  CHECK(network.summary() == N::summary());
  Rng rng(6, 0);
  for (std::size_t k : {0u, 1u})
    for (float& v : network.tensor(4, k).row(0)) v = float(0.5 + rng.uniform());
  check_gradients(network, 8, 41);
  check_inference(network, 8, 42);
  check_net_matches_engine<N>(network, 8, 43);
}

TEST_CASE("convolutions (same and valid, 1x1 to 5x5, stride 2), pooling and rescaling train on both backends") {
  // 5x7 images of 3 channels; 17 filters, not a whole number of vectors; a 3x2 kernel, whose "same"
  // padding has an odd width (Keras puts the extra column on the right).
  using Small = Net<Input<5, 7, 3>, Rescaling<0.5, 0.1>, Conv2D<17, 3, 2, Tanh, Same>, MaxPool2D<2>,
                    Conv2D<5, 1, 1, Sigmoid>, Dropout<0.2>, Flatten, Softmax<3>>;
  STATIC_REQUIRE(Small::output_shapes[1] == Shape(5, 7, 17));
  STATIC_REQUIRE(Small::output_shapes[2] == Shape(2, 3, 17));
  STATIC_REQUIRE(Small::output_shapes[3] == Shape(2, 3, 5));
  STATIC_REQUIRE(Small::param_count == (3 * 2 * 3 * 17 + 17) + (17 * 5 + 5) + (30 * 3 + 3));
  CHECK(Small::spec() == "5x7x3-rescale=0.5,0.1-conv=17x3x2:tanh:same-maxpool=2-conv=5x1x1:sigmoid:valid-dropout=0.2-flatten-3:softmax");
  engine::Network small{Small::spec(), Seed{8}};
  check_gradients(small, 6, 51);
  check_inference(small, 6, 52);
  check_net_matches_engine<Small>(small, 6, 53);

  // A 5x5 kernel (valid), a strided "same" convolution, average and global average pooling.
  using Strided = Net<Input<7, 9, 2>, Conv2D<3, 5, 5, Tanh>, Conv2D<6, 3, 3, Tanh, Same, Strides<2>>, AveragePool2D<2, 1>,
                      GlobalAveragePool2D, Softmax<3>>;
  STATIC_REQUIRE(Strided::output_shapes[0] == Shape(3, 5, 3));
  STATIC_REQUIRE(Strided::output_shapes[1] == Shape(2, 3, 6));
  STATIC_REQUIRE(Strided::output_shapes[2] == Shape(1, 2, 6));
  STATIC_REQUIRE(Strided::output_shapes[3] == Shape(6));
  engine::Network strided{Strided::spec(), Seed{9}};
  CHECK(strided.describe() == Strided::spec());
  check_gradients(strided, 5, 61);
  check_inference(strided, 5, 62);
  check_net_matches_engine<Strided>(strided, 5, 63);

  // Channel and filter counts that are whole vectors (dZ read in place, the im2col packed a pixel's
  // channels at a time), a max pool whose windows tile the image (its gradient takes the ReLU
  // derivative below on the way), dropout under a stride-1 convolution's input gradient, and a max
  // pool with overlapping windows.
  using Whole = Net<Input<8, 6, 16>, Conv2D<16, 3, 3, ReLU, Same>, MaxPool2D<2>, Dropout<0.3>, Conv2D<32, 3, 3, Tanh, Same>,
                    MaxPool2D<3, 1>, Flatten, Softmax<3>>;
  STATIC_REQUIRE(Whole::output_shapes[4] == Shape(2, 1, 32));
  engine::Network whole{Whole::spec(), Seed{10}};
  check_gradients(whole, 4, 64);
  check_inference(whole, 4, 65);
  check_net_matches_engine<Whole>(whole, 4, 66);
}

TEST_CASE("BatchNorm on feature maps normalises each channel over the batch and the pixels, on both backends") {
  // A whole vector of channels (the vectorised kernels) and 3 channels (one float at a time), after
  // a "same" convolution and before its pooling, as Keras's CNNs place it.
  using N = Net<Input<6, 5, 2>, Conv2D<simd::lanes, 3, 3, Tanh, Same>, BatchNorm<>, MaxPool2D<2>, Dropout<0.25>,
                Conv2D<3, 1, 1, Tanh>, BatchNorm<0.9>, Flatten, Dense<inferred, 4, Tanh>, BatchNorm<>, Softmax<3>>;
  STATIC_REQUIRE(N::output_shapes[1] == Shape(6, 5, simd::lanes));
  STATIC_REQUIRE(N::param_count == (18 * simd::lanes + simd::lanes) + 4 * simd::lanes + (simd::lanes * 3 + 3) + 4 * 3 +
                                       (18 * 4 + 4) + 4 * 4 + (4 * 3 + 3));
  CHECK(N::spec() == "6x5x2-conv=" + std::to_string(simd::lanes) +
                         "x3x3:tanh:same-batchnorm-maxpool=2-dropout=0.25-conv=3x1x1:tanh:valid-batchnorm=0.9-flatten-"
                         "4:tanh-batchnorm-3:softmax");
  engine::Network network{N::spec(), Seed{12}};
  CHECK(network.summary() == N::summary());
  // Away from Keras's initial gamma 1, beta 0, moving mean 0 and moving variance 1.
  Rng rng(13, 0);
  for (std::size_t i : {1u, 5u, 8u})
    for (std::size_t k = 0; k < 4; ++k)
      for (float& v : network.tensor(i, k).row(0)) v = float(k == 2 ? rng.uniform() - 0.5 : 0.5 + rng.uniform());
  check_gradients(network, 7, 71);
  check_inference(network, 7, 72);
  check_moving_statistics(network, 7, 73);
  check_net_matches_engine<N>(network, 7, 74);
}

TEST_CASE("a convolution's kernel is Keras's (height, width, in, out) tensor in files") {
  using Cnn = Net<Input<6, 6, 2>, Conv2D<4, 3, 2, ReLU>, Flatten, Softmax<2>>;
  testing::TempDir dir;
  const Model<Cnn> model{Seed{3}};
  io::save_npz(model, dir / "cnn.npz");
  const auto arrays = io::read_npz(dir / "cnn.npz");
  CHECK(arrays.at("conv2d/kernel").shape == std::vector<std::size_t>{3, 2, 2, 4});
  CHECK(arrays.at("conv2d/bias").shape == std::vector<std::size_t>{4});
  // Keras's kernel[a][b][c][f] is row (a * 2 + b) * 2 + c, column f.
  CHECK(arrays.at("conv2d/kernel").values[((2 * 2 + 1) * 2 + 1) * 4 + 3] == model.weight("conv2d/kernel")((2 * 2 + 1) * 2 + 1, 3));
  io::save(model, dir / "cnn.ctnn");
  engine::Network network = io::load_network(dir / "cnn.ctnn");
  CHECK(std::ranges::equal(network.parameters(), model.parameters()));
  // Glorot uniform with Keras's fans for a convolution: fan in 3 * 2 * 2, fan out 3 * 2 * 4.
  const float limit = std::sqrt(6.0f / float(12 + 24));
  float largest = 0.0f;
  for (const float v : arrays.at("conv2d/kernel").values) largest = std::max(largest, std::abs(v));
  CHECK(largest <= limit);
  CHECK(largest > 0.7f * limit);
}
