// summary(): Keras's model.summary() table, with hand-computed counts.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

using namespace ctnn;
using Catch::Matchers::Contains;

TEST_CASE("the seed network's summary shows 322,230 parameters") {
  using SeedNet = Net<Dense<784, 400, ReLU>, Dense<400, 20>, Softmax<10>>;
  const std::string text = Model<SeedNet>::summary();
  // 784 * 400 + 400, 400 * 20 + 20, 20 * 10 + 10; 4 bytes each: 1,288,920 bytes = 1.229 MiB.
  CHECK_THAT(text, Contains(" dense (Dense)               (None, 400)               314,000\n"));
  CHECK_THAT(text, Contains(" dense_1 (Dense)             (None, 20)                8,020\n"));
  CHECK_THAT(text, Contains(" dense_2 (Dense)             (None, 10)                210\n"));
  CHECK_THAT(text, Contains("Total params: 322,230 (1.23 MB, 1,288,920 bytes)\n"));
  CHECK_THAT(text, Contains("Trainable params: 322,230 (1.23 MB, 1,288,920 bytes)\n"));
  CHECK_THAT(text, Contains("Non-trainable params: 0 (0.00 B, 0 bytes)\n"));
  CHECK(engine::Network(SeedNet::spec()).summary() == text);
}

TEST_CASE("the Keras notebook's Dense(64)-Dropout(0.2) network, as Keras prints it") {
  using KerasMlp = Net<Dense<784, 64>, Dropout<0.2>, Dense<64, 64>, Dropout<0.2>, Softmax<10>>;
  const std::string expected =
      "Model: \"sequential\"\n"
      "_________________________________________________________________\n"
      " Layer (type)                Output Shape              Param #\n"
      "=================================================================\n"
      " dense (Dense)               (None, 64)                50,240\n"
      " dropout (Dropout)           (None, 64)                0\n"
      " dense_1 (Dense)             (None, 64)                4,160\n"
      " dropout_1 (Dropout)         (None, 64)                0\n"
      " dense_2 (Dense)             (None, 10)                650\n"
      "=================================================================\n"
      "Total params: 55,050 (215.04 KB, 220,200 bytes)\n"
      "Trainable params: 55,050 (215.04 KB, 220,200 bytes)\n"
      "Non-trainable params: 0 (0.00 B, 0 bytes)\n"
      "_________________________________________________________________\n";
  CHECK(KerasMlp::summary() == expected);
  CHECK(engine::Network(KerasMlp::spec()).summary() == expected);
  STATIC_REQUIRE(KerasMlp::summary_rows[1].output[0] == 64);
  STATIC_REQUIRE(KerasMlp::summary_rows[4].trainable == 650);
}

TEST_CASE("Dense(600)+BN+Dense(100)+BN+softmax shows 534,910 parameters, 1,400 of them non-trainable") {
  using BatchNormMlp = Net<Dense<784, 600>, BatchNorm<>, Dense<600, 100>, BatchNorm<>, Softmax<10>>;
  // Dense: 784 * 600 + 600 = 471,000, 600 * 100 + 100 = 60,100, 100 * 10 + 10 = 1,010. Each
  // BatchNormalization: 4 per unit (2,400 and 400), of which the moving mean and variance (2 per
  // unit: 1,200 + 200 = 1,400) are not trainable. Long names wrap as in Keras 2.
  const std::string expected =
      "Model: \"sequential\"\n"
      "_________________________________________________________________\n"
      " Layer (type)                Output Shape              Param #\n"
      "=================================================================\n"
      " dense (Dense)               (None, 600)               471,000\n"
      " batch_normalization (BatchN (None, 600)               2,400\n"
      " ormalization)\n"
      " dense_1 (Dense)             (None, 100)               60,100\n"
      " batch_normalization_1 (Batc (None, 100)               400\n"
      " hNormalization)\n"
      " dense_2 (Dense)             (None, 10)                1,010\n"
      "=================================================================\n"
      "Total params: 534,910 (2.04 MB, 2,139,640 bytes)\n"
      "Trainable params: 533,510 (2.04 MB, 2,134,040 bytes)\n"
      "Non-trainable params: 1,400 (5.47 KB, 5,600 bytes)\n"
      "_________________________________________________________________\n";
  CHECK(BatchNormMlp::summary() == expected);
  CHECK(engine::Network(BatchNormMlp::spec()).summary() == expected);
  STATIC_REQUIRE(BatchNormMlp::param_count == 534'910);
  CHECK(engine::Network(BatchNormMlp::spec()).param_count() == 534'910);
}
