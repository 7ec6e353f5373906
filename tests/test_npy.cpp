// NumPy .npy export, checked byte by byte against the format's definition, and atomic writes.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include <cstring>
#include <fstream>
#include <iterator>

#include "temp_dir.hpp"

using namespace ctnn;

namespace {
std::string read_all(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), {}};
}
}  // namespace

TEST_CASE("a 2 x 3 float array as .npy: header as NumPy writes it, then the values") {
  testing::TempDir dir;
  const auto path = dir.path() / "a.npy";
  const float values[6] = {1.0f, -2.5f, 3.25f, 0.0f, 1e-8f, 7.0f};
  io::save_npy(path, values, {2, 3});
  const std::string bytes = read_all(path);
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  // 10 bytes of prefix + the dict padded with spaces and a final newline to a multiple of 64.
  REQUIRE(bytes.size() == 128 + sizeof values);
  CHECK(bytes.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
  CHECK(std::uint8_t(bytes[8]) + 256 * std::uint8_t(bytes[9]) == 118);
  CHECK(bytes.substr(10, dict.size()) == dict);
  CHECK(bytes.substr(10 + dict.size(), 128 - 11 - dict.size()) == std::string(128 - 11 - dict.size(), ' '));
  CHECK(bytes[127] == '\n');
  CHECK(std::memcmp(bytes.data() + 128, values, sizeof values) == 0);
  CHECK_FALSE(std::filesystem::exists(path.string() + ".tmp-" + std::to_string(::getpid())));
}

TEST_CASE("one-dimensional shapes are written as Python tuples, matrices without their padding") {
  testing::TempDir dir;
  const float bias[3] = {1, 2, 3};
  io::save_npy(dir.path() / "b.npy", bias, {3});
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
  CHECK(read_all(dir.path() / "b.npy").substr(10, dict.size() + 1) == dict + " ");

  const float padded[2 * 8] = {1, 2, 3, 0, 0, 0, 0, 0, 4, 5, 6, 0, 0, 0, 0, 0};
  io::save_npy(dir.path() / "k.npy", MatrixView<const float>{padded, 2, 3, 8});
  const std::string bytes = read_all(dir.path() / "k.npy");
  const float expected[6] = {1, 2, 3, 4, 5, 6};
  REQUIRE(bytes.size() == 128 + sizeof expected);
  CHECK(std::memcmp(bytes.data() + 128, expected, sizeof expected) == 0);
}

TEST_CASE("save_npy refuses a shape that does not match the values, and names the file") {
  testing::TempDir dir;
  const float values[4] = {};
  CHECK_THROWS_WITH(io::save_npy(dir.path() / "bad.npy", values, {2, 3}),
                    Catch::Matchers::Contains("bad.npy: save_npy was given 4 values for a shape of 6"));
  CHECK_FALSE(std::filesystem::exists(dir.path() / "bad.npy"));
  CHECK_THROWS_WITH(io::save_npy(dir.path() / "missing" / "x.npy", values, {4}), Catch::Matchers::Contains("cannot create"));
}

TEST_CASE("an atomic write replaces the old file whole, and a failed write leaves it untouched") {
  testing::TempDir dir;
  const auto path = dir.path() / "a.npy";
  const float first[2] = {1, 2}, second[3] = {3, 4, 5};
  io::save_npy(path, first, {2});
  const std::string before = read_all(path);
  CHECK_THROWS(io::write_atomically(path, [](std::FILE*) -> bool { throw Error("interrupted"); }));
  CHECK(read_all(path) == before);
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), {}) == 1);  // no temporary left behind
  io::save_npy(path, second, {3});
  CHECK(read_all(path).size() == 128 + sizeof second);
}
