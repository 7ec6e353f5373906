// .npz archives: Keras-named weights round-trip bit-exactly on both backends; archives as NumPy
// writes them (stored or deflated, Zip64 fields, float64) are read; mismatches are named.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include <bit>
#include <cstring>
#include <fstream>

#include "archive_bytes.hpp"
#include "dense_views.hpp"
#include "temp_dir.hpp"

using namespace ctnn;
using Catch::Matchers::Contains;
using testing::append;
using testing::raw_deflate;
using testing::write_all;

namespace {

using Small = Net<Dense<3, 4, ReLU>, Softmax<2>>;

// A .npy file as NumPy 1.x writes it, here of float64 values.
std::string npy_f8(const std::vector<double>& values, const std::string& shape) {
  std::string dict = "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }";
  dict.append(64 - (10 + dict.size() + 1) % 64, ' ').append("\n");
  std::string bytes("\x93NUMPY\x01\x00", 8);
  append(bytes, std::uint16_t(dict.size()));
  bytes += dict;
  bytes.append(reinterpret_cast<const char*>(values.data()), values.size() * 8);
  return bytes;
}
// One deflated entry with Zip64 sizes in its extra fields, as np.savez_compressed (force_zip64) writes it.
std::string zip64_deflated(const std::string& name, const std::string& data) {
  const std::string packed = raw_deflate(data);
  const auto crc = std::uint32_t(crc32(0, reinterpret_cast<const Bytef*>(data.data()), uInt(data.size())));
  std::string zip;
  append(zip, std::uint32_t{0x04034b50});
  for (const int f : {45, 0, 8, 0, 0x21}) append(zip, std::uint16_t(f));
  append(zip, crc);
  append(zip, std::uint32_t{0xffffffff});
  append(zip, std::uint32_t{0xffffffff});
  append(zip, std::uint16_t(name.size()));
  append(zip, std::uint16_t(20));
  zip += name;
  append(zip, std::uint16_t{1});
  append(zip, std::uint16_t{16});
  append(zip, std::uint64_t(data.size()));
  append(zip, std::uint64_t(packed.size()));
  zip += packed;
  const auto directory = std::uint32_t(zip.size());
  append(zip, std::uint32_t{0x02014b50});
  for (const int f : {45, 45, 0, 8, 0, 0x21}) append(zip, std::uint16_t(f));
  append(zip, crc);
  append(zip, std::uint32_t{0xffffffff});
  append(zip, std::uint32_t{0xffffffff});
  for (const std::uint16_t f : {std::uint16_t(name.size()), std::uint16_t(20), std::uint16_t(0), std::uint16_t(0), std::uint16_t(0)})
    append(zip, f);
  append(zip, std::uint32_t{0});
  append(zip, std::uint32_t{0});
  zip += name;
  append(zip, std::uint16_t{1});
  append(zip, std::uint16_t{16});
  append(zip, std::uint64_t(data.size()));
  append(zip, std::uint64_t(packed.size()));
  const auto directory_size = std::uint32_t(zip.size() - directory);
  append(zip, std::uint32_t{0x06054b50});
  for (const int f : {0, 0, 1, 1}) append(zip, std::uint16_t(f));
  append(zip, directory_size);
  append(zip, directory);
  append(zip, std::uint16_t{0});
  return zip;
}

}  // namespace

TEST_CASE("save_npz writes Keras-named arrays that load back bit for bit, across backends") {
  testing::TempDir dir;
  Model<Small> model{Seed{4}};
  for (std::size_t o = 0; o < 4; ++o) testing::bias(model, 0)[o] = 0.5f * float(o) + 0.1f;
  io::save_npz(model, dir / "w.npz");
  const auto arrays = io::read_npz(dir / "w.npz");
  REQUIRE(arrays.size() == 4);
  CHECK(arrays.at("dense/kernel").shape == std::vector<std::size_t>{3, 4});
  CHECK(arrays.at("dense/bias").shape == std::vector<std::size_t>{4});
  CHECK(arrays.at("dense_1/kernel").shape == std::vector<std::size_t>{4, 2});
  CHECK(arrays.at("dense/kernel").values[1 * 4 + 2] == testing::kernel(model, 0)(1, 2));
  CHECK(arrays.at("dense/bias").values[3] == 1.6f);

  engine::Network network{Small::spec(), Seed{99}};
  io::load_npz(network, dir / "w.npz");
  Model<Small> back{Seed{98}};
  io::save_npz(network, dir / "engine.npz");
  io::load_npz(back, dir / "engine.npz");
  for (std::size_t l = 0; l < 2; ++l) {
    for (std::size_t i = 0; i < testing::kernel(model, l).rows; ++i)
      for (std::size_t o = 0; o < testing::kernel(model, l).cols; ++o) {
        CHECK(std::bit_cast<std::uint32_t>(testing::kernel(network, l)(i, o)) == std::bit_cast<std::uint32_t>(testing::kernel(model, l)(i, o)));
        CHECK(std::bit_cast<std::uint32_t>(testing::kernel(back, l)(i, o)) == std::bit_cast<std::uint32_t>(testing::kernel(model, l)(i, o)));
      }
    CHECK(std::ranges::equal(testing::bias(back, l), testing::bias(model, l)));
  }
}

TEST_CASE("layer names follow Keras's rule for class names") {
  // Keras: re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name), then re.sub("([a-z])([A-Z])", r"\1_\2", ...).lower()
  STATIC_REQUIRE(layers::keras_snake_case("Dense") == "dense");
  STATIC_REQUIRE(layers::keras_snake_case("BatchNormalization") == "batch_normalization");
  STATIC_REQUIRE(layers::keras_snake_case("Conv2D") == "conv2d");
  STATIC_REQUIRE(layers::keras_snake_case("MaxPooling2D") == "max_pooling2d");
  STATIC_REQUIRE(layers::keras_snake_case("GlobalAveragePooling2D") == "global_average_pooling2d");
  STATIC_REQUIRE(layers::keras_snake_case("ReLU") == "re_lu");
  STATIC_REQUIRE(layers::keras_snake_case("PReLU") == "p_re_lu");
  const std::string_view types[] = {"Dense", "Dropout", "Dense", "BatchNormalization", "Dense"};
  CHECK(layers::keras_layer_names(5, [&](std::size_t i) { return types[i]; }) ==
        std::vector<std::string>{"dense", "dropout", "dense_1", "batch_normalization", "dense_2"});
}

TEST_CASE("every layer kind's weights are named as Keras names them, each class numbered on its own") {
  using Normalised = Net<BatchNorm<>, Dense<5, 4, Linear>, BatchNorm<0.9>, Activation<ReLU>, Dropout<0.2>, Dense<4, 3>, Softmax<2>>;
  testing::TempDir dir;
  Model<Normalised> model{Seed{6}};
  model.weight("batch_normalization_1/moving_variance")(0, 2) = 7.0f;
  io::save_npz(model, dir / "w.npz");
  const auto arrays = io::read_npz(dir / "w.npz");
  std::vector<std::string> names;
  for (const auto& [name, array] : arrays) names.push_back(name);
  const std::vector<std::string> expected = {
      "batch_normalization/beta",   "batch_normalization/gamma",   "batch_normalization/moving_mean",   "batch_normalization/moving_variance",
      "batch_normalization_1/beta", "batch_normalization_1/gamma", "batch_normalization_1/moving_mean", "batch_normalization_1/moving_variance",
      "dense/bias",                 "dense/kernel",                "dense_1/bias",                      "dense_1/kernel",
      "dense_2/bias",               "dense_2/kernel"};
  CHECK(names == expected);
  CHECK(arrays.at("batch_normalization/gamma").shape == std::vector<std::size_t>{5});
  CHECK(arrays.at("batch_normalization_1/moving_variance").values[2] == 7.0f);
  CHECK(arrays.at("dense_2/kernel").shape == std::vector<std::size_t>{3, 2});
  CHECK_THROWS_WITH(model.weight("dense_3/kernel"),
                    Catch::Contains("the model has no weight named \"dense_3/kernel\" (its weights: batch_normalization/gamma, "));
}

TEST_CASE("the zip archive of save_npz has the layout of the ZIP specification") {
  const std::string data = "payload";
  const std::string zip = io::zip_bytes({{"a/b.npy", data}});
  const auto at = [&](std::size_t offset, std::size_t size) { return io::detail::read_little_endian(zip, offset, size); };
  CHECK(at(0, 4) == 0x04034b50);   // local header
  CHECK(at(8, 2) == 0);            // stored
  CHECK(at(14, 4) == 0x422c6a15u);  // CRC-32 of "payload", as Python's zlib.crc32 gives it
  CHECK(at(18, 4) == data.size());
  CHECK(zip.substr(30, 7) == "a/b.npy");
  CHECK(zip.substr(37, data.size()) == data);
  const std::size_t directory = 37 + data.size();
  CHECK(at(directory, 4) == 0x02014b50);
  CHECK(at(directory + 42, 4) == 0);  // the local header's offset
  CHECK(at(zip.size() - 22, 4) == 0x06054b50);
  CHECK(at(zip.size() - 22 + 10, 2) == 1);
  CHECK(at(zip.size() - 22 + 16, 4) == directory);
}

TEST_CASE("archives as NumPy writes them: deflated, Zip64 sizes, float64 values") {
  testing::TempDir dir;
  const std::vector<double> values{0.25, -1.5, 3.0, 1e-3, 2.0, -0.125};
  write_all(dir / "c.npz", zip64_deflated("x.npy", npy_f8(values, "(2, 3)")));
  const auto arrays = io::read_npz(dir / "c.npz");
  REQUIRE(arrays.count("x") == 1);
  CHECK(arrays.at("x").shape == std::vector<std::size_t>{2, 3});
  for (std::size_t i = 0; i < values.size(); ++i) CHECK(arrays.at("x").values[i] == float(values[i]));
}

TEST_CASE("load_npz names the array and the shapes of any mismatch, and leaves the model unchanged") {
  testing::TempDir dir;
  Model<Small> model{Seed{1}};
  const float before = testing::kernel(model, 0)(0, 0);
  const std::size_t k_shape[2] = {3, 4}, transposed[2] = {4, 3}, b_shape[1] = {4}, k1_shape[2] = {4, 2}, b1_shape[1] = {2};
  const std::vector<float> twelve(12, 1.0f), four(4, 1.0f), eight(8, 1.0f), two(2, 1.0f);
  const auto archive = [&](std::vector<io::ZipEntry> entries) {
    write_all(dir / "bad.npz", io::zip_bytes(entries));
    return dir / "bad.npz";
  };
  const io::ZipEntry k0{"dense/kernel.npy", io::npy_bytes(twelve, k_shape)}, b0{"dense/bias.npy", io::npy_bytes(four, b_shape)},
      k1{"dense_1/kernel.npy", io::npy_bytes(eight, k1_shape)}, b1{"dense_1/bias.npy", io::npy_bytes(two, b1_shape)};

  CHECK_THROWS_WITH(io::load_npz(model, archive({{"dense/kernel.npy", io::npy_bytes(twelve, transposed)}, b0, k1, b1})),
                    Contains("bad.npz: \"dense/kernel\" has shape (4, 3) but layer dense of 3-4:relu-2:softmax needs (3, 4)") &&
                        Contains("save weight.T"));
  CHECK_THROWS_WITH(io::load_npz(model, archive({k0, b0, k1})), Contains("has no array \"dense_1/bias\"") && Contains("needs (2,)"));
  CHECK_THROWS_WITH(io::load_npz(model, archive({k0, b0, k1, b1, {"optimizer/iterations.npy", io::npy_bytes(two, b1_shape)}})),
                    Contains("does not have: \"optimizer/iterations\""));
  CHECK(testing::kernel(model, 0)(0, 0) == before);

  std::string damaged = io::zip_bytes({k0, b0, k1, b1});
  damaged[200] = char(damaged[200] ^ 1);
  write_all(dir / "damaged.npz", damaged);
  CHECK_THROWS_WITH(io::load_npz(model, dir / "damaged.npz"), Contains("damaged.npz: dense/") && Contains("CRC-32 mismatch"));
  write_all(dir / "text.npz", "not a zip archive at all, but long enough to search");
  CHECK_THROWS_WITH(io::read_npz(dir / "text.npz"), Contains("text.npz: not a zip archive"));
  CHECK_THROWS_WITH(io::read_npz(dir / "absent.npz"), Contains("absent.npz: cannot open .npz archive"));

  std::string fortran = io::npy_bytes(twelve, k_shape);
  fortran.replace(fortran.find("False"), 5, "True ");
  CHECK_THROWS_WITH(io::load_npz(model, archive({{"dense/kernel.npy", fortran}, b0, k1, b1})), Contains("Fortran order"));
}

namespace {

// A uint8 .npy file as NumPy writes one ('|u1').
std::string npy_u1(const std::vector<std::uint8_t>& values, const std::string& shape) {
  std::string dict = "{'descr': '|u1', 'fortran_order': False, 'shape': " + shape + ", }";
  dict.append(64 - (10 + dict.size() + 1) % 64, ' ').append("\n");
  std::string bytes("\x93NUMPY\x01\x00", 8);
  append(bytes, std::uint16_t(dict.size()));
  bytes += dict;
  bytes.append(values.begin(), values.end());
  return bytes;
}

}  // namespace

TEST_CASE("a data set stored as Keras's mnist.npz loads: uint8 pixels scaled to [0, 1], uint8 labels") {
  testing::TempDir dir;
  // Three 2x2 training images and one test image; the pixels of image i start at 10 * i.
  const std::vector<std::uint8_t> train_pixels{0, 255, 51, 102, 10, 11, 12, 13, 20, 21, 22, 23}, test_pixels{7, 8, 9, 255};
  const auto archive = [&](const std::string& y_train, const std::string& y_train_shape) {
    return io::zip_bytes({{"x_train.npy", npy_u1(train_pixels, "(3, 2, 2)")},
                          {"y_train.npy", y_train_shape.empty() ? y_train : npy_u1({y_train.begin(), y_train.end()}, y_train_shape)},
                          {"x_test.npy", npy_u1(test_pixels, "(1, 2, 2)")},
                          {"y_test.npy", npy_u1({9}, "(1,)")}});
  };
  write_all(dir / "mnist.npz", archive(std::string{3, 0, 7}, "(3,)"));
  const TrainTestData data = io::load_data_set(dir / "mnist.npz");
  REQUIRE(data.train.count == 3);
  CHECK(data.train.features == 4);
  CHECK(data.train.image_rows == 2);
  CHECK(data.train.labels == std::vector<std::uint8_t>{3, 0, 7});
  REQUIRE(data.train.images.size() == 12);
  for (std::size_t i = 0; i < 12; ++i) CHECK(data.train.images[i] == float(train_pixels[i]) / 255.0f);
  CHECK(data.test.count == 1);
  CHECK(data.test.labels == std::vector<std::uint8_t>{9});
  CHECK(data.test.images.back() == 1.0f);

  // One label short; a float label that is not whole; an archive of weights, not a data set.
  write_all(dir / "short.npz", archive(std::string{3, 0}, "(2,)"));
  CHECK_THROWS_WITH(io::load_data_set(dir / "short.npz"),
                    (dir / "short.npz").string() + ": y_train has shape (2,); it must be (3,), a label for each of "
                                                   "the 3 samples of " + (dir / "short.npz").string() + ": x_train");
  write_all(dir / "half.npz", archive(npy_f8({1.0, 2.5, 3.0}, "(3,)"), ""));
  CHECK_THROWS_WITH(io::load_data_set(dir / "half.npz"), Contains("half.npz: y_train: label 1 is 2.5"));
  Model<Small> model{Seed{1}};
  io::save_npz(model, dir / "weights.npz");
  CHECK_THROWS_WITH(io::load_data_set(dir / "weights.npz"),
                    (dir / "weights.npz").string() + ": has no array 'x_train' (a Keras data set has x_train, y_train, "
                                                     "x_test and y_test)");
}
