// Exported headers, compiled here from model files by ctnn_embed_model: predictions identical bit
// for bit to Model<Net>::predict of the model they came from.
#include <catch2/catch.hpp>

#include "fashion_cnn.hpp"  // from generated/fashion_cnn.ctnn
#include "fashion_mlp.hpp"  // from generated/fashion_mlp.ctnn
#include "odd_net.hpp"      // from write_export_test_models
#include "image_net.hpp"
#include "pooled_net.hpp"
#include "regression_net.hpp"

#include <cmath>
#include <cstring>
#include <set>
#include <thread>
#include <ctnn/ctnn.hpp>

#include "export_test_models.hpp"

using namespace ctnn;

namespace {
using FashionNet = Net<Dense<784, 64, ReLU>, Softmax<10>>;
using FashionCnn = Net<Input<28, 28, 1>, Conv2D<16, 3, 3, ReLU>, MaxPool2D<2>, Flatten, Softmax<10>>;

template <std::size_t Outputs>
void check_identical(const float* expected, const float* got) {
  for (std::size_t o = 0; o < Outputs; ++o) {
    INFO("output " << o);
    CHECK(std::bit_cast<std::uint32_t>(expected[o]) == std::bit_cast<std::uint32_t>(got[o]));
  }
}
}  // namespace

TEST_CASE("the exported Fashion-MNIST model predicts what its model file predicts, bit for bit, on 1,000 test images") {
  fashion_mlp::expect_architecture<FashionNet>();
  STATIC_REQUIRE(fashion_mlp::fingerprint == FashionNet::fingerprint);
  STATIC_REQUIRE(fashion_mlp::inputs == 784);
  CHECK(fashion_mlp::architecture == FashionNet::architecture());
  CHECK(std::string(fashion_mlp::class_names[9]) == "Ankle boot");

  const Model<FashionNet> model = io::load<FashionNet>(CTNN_SOURCE_DIR "/generated/fashion_mlp.ctnn");
  const auto images = io::load_idx(io::default_data_directory).test;
  REQUIRE(images.count >= 1000);
  std::size_t correct = 0;
  for (std::size_t i = 0; i < 1000; ++i) {
    const float* image = images.images.data() + i * 784;
    float expected[10], got[10];
    model.predict(image, expected);
    fashion_mlp::predict(image, got);
    INFO("image " << i);
    check_identical<10>(expected, got);
    std::uint8_t pixels[784];  // the file's bytes again: the reader scaled them by 1/255
    for (std::size_t p = 0; p < 784; ++p) pixels[p] = std::uint8_t(std::lround(image[p] * 255.0f));
    const auto [predicted, probability] = fashion_mlp::classify(pixels);
    CHECK(predicted == std::size_t(std::max_element(expected, expected + 10) - expected));
    CHECK(probability == expected[predicted]);
    correct += predicted == images.labels[i];
  }
  CHECK(correct > 850);  // the committed model reaches 88% on the test set
}

TEST_CASE("the exported Fashion-MNIST CNN predicts what its model file predicts on both backends, bit for bit, on 1,000 test images") {
  fashion_cnn::expect_architecture<FashionCnn>();
  const Model<FashionCnn> model = io::load<FashionCnn>(CTNN_SOURCE_DIR "/generated/fashion_cnn.ctnn");
  engine::Network network = io::load_network(CTNN_SOURCE_DIR "/generated/fashion_cnn.ctnn");
  const auto images = io::load_idx(io::default_data_directory).test;
  std::size_t correct = 0;
  for (std::size_t i = 0; i < 1000; ++i) {
    const float* image = images.sample(i);
    float expected[10], from_engine[10], got[10];
    model.predict(image, expected);
    network.predict(image, from_engine);
    fashion_cnn::predict(image, got);
    INFO("image " << i);
    check_identical<10>(expected, got);
    check_identical<10>(expected, from_engine);
    correct += std::size_t(std::max_element(got, got + 10) - got) == images.labels[i];
  }
  CHECK(correct > 870);  // the committed model reaches 89% on the test set
}

TEST_CASE("exported headers of odd sizes and every activation match their models bit for bit") {
  const auto odd = testing::export_test_model<testing::OddNet>(7);
  const auto regression = testing::export_test_model<testing::RegressionNet>(8);
  odd_net::expect_architecture<testing::OddNet>();
  regression_net::expect_architecture<testing::RegressionNet>();
  Rng rng(5, 0);
  for (int sample = 0; sample < 200; ++sample) {
    float x[13];
    for (float& v : x) v = float(rng.uniform()) * 4.0f - 2.0f;
    float expected[5], got[5];
    odd.predict(x, expected);
    odd_net::predict(x, got);
    check_identical<5>(expected, got);
    float expected_regression[3], got_regression[3];
    regression.predict(x, expected_regression);
    regression_net::predict(x, got_regression);
    check_identical<3>(expected_regression, got_regression);
  }
  STATIC_REQUIRE(odd_net::class_names.size() == 5);
  CHECK(std::string(odd_net::class_names[4]) == "4");
}

TEST_CASE("exported convolutional networks of every image layer kind match their models bit for bit") {
  const auto image = testing::export_test_model<testing::ImageNet>(9);
  const auto pooled = testing::export_test_model<testing::PooledNet>(10);
  image_net::expect_architecture<testing::ImageNet>();
  pooled_net::expect_architecture<testing::PooledNet>();
  STATIC_REQUIRE(image_net::inputs == 11 * 9 * 3);
  STATIC_REQUIRE(pooled_net::outputs == 3);
  Rng rng(11, 0);
  std::set<std::uint32_t> first_probabilities;
  for (int sample = 0; sample < 100; ++sample) {
    INFO("sample " << sample);
    std::uint8_t pixels[image_net::inputs];
    float x[image_net::inputs];
    for (std::size_t i = 0; i < image_net::inputs; ++i) x[i] = float(pixels[i] = std::uint8_t(rng.uniform() * 256.0));
    float expected[4], got[4];
    image.predict(x, expected);
    image_net::predict(x, got);
    check_identical<4>(expected, got);
    // The network rescales its own input, so classify passes the bytes as they are.
    const auto [predicted, probability] = image_net::classify(pixels);
    CHECK(predicted == std::size_t(std::max_element(expected, expected + 4) - expected));
    CHECK(probability == expected[predicted]);
    first_probabilities.insert(std::bit_cast<std::uint32_t>(expected[0]));

    float y[pooled_net::inputs];
    for (float& v : y) v = float(rng.uniform()) * 4.0f - 2.0f;
    float expected_pooled[3], got_pooled[3];
    pooled.predict(y, expected_pooled);
    pooled_net::predict(y, got_pooled);
    check_identical<3>(expected_pooled, got_pooled);
  }
  // Not one constant answer: every input reaches the outputs.
  CHECK(first_probabilities.size() == 100);
}

TEST_CASE("an exported header's predict is safe to call from several threads at once") {
  const auto images = io::load_idx(io::default_data_directory).test;
  constexpr std::size_t count = 400, threads = 4;
  std::vector<float> alone(count * 10);
  for (std::size_t i = 0; i < count; ++i) fashion_mlp::predict(images.sample(i), &alone[i * 10]);
  std::vector<std::vector<float>> together(threads, std::vector<float>(count * 10));
  std::vector<std::thread> workers;
  for (std::size_t t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (int repeat = 0; repeat < 20; ++repeat)
        for (std::size_t i = 0; i < count; ++i) fashion_mlp::predict(images.sample(i), &together[t][i * 10]);
    });
  for (std::thread& worker : workers) worker.join();
  for (std::size_t t = 0; t < threads; ++t) CHECK(std::memcmp(together[t].data(), alone.data(), alone.size() * sizeof(float)) == 0);
}
