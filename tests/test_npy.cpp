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

namespace {
// A .npy file of the given type code and raw little-endian values, as NumPy writes it.
template <class T>
void write_npy(const std::filesystem::path& path, const std::string& descr, const std::vector<T>& values,
               const std::string& shape) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  dict.append(64 - (10 + dict.size() + 1) % 64, ' ').append("\n");
  std::string bytes("\x93NUMPY\x01\x00", 8);
  bytes.push_back(char(dict.size() & 0xff));
  bytes.push_back(char(dict.size() >> 8));
  bytes += dict;
  bytes.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
  std::ofstream(path, std::ios::binary) << bytes;
}
}  // namespace

TEST_CASE("a data set from .npy arrays: uint8 pixels are scaled, float features kept, int64 labels read") {
  testing::TempDir dir;
  write_npy<std::uint8_t>(dir / "x.npy", "|u1", {0, 51, 255, 102, 204, 0}, "(3, 2)");
  write_npy<std::int64_t>(dir / "y.npy", "<i8", {7, 0, 9}, "(3,)");
  const Dataset pixels = io::load_npy_data_set(dir / "x.npy", dir / "y.npy");
  REQUIRE(pixels.count == 3);
  REQUIRE(pixels.features == 2);
  CHECK(pixels.images == std::vector<float>{0.0f, 51 / 255.0f, 1.0f, 102 / 255.0f, 204 / 255.0f, 0.0f});
  CHECK(pixels.labels == std::vector<std::uint8_t>{7, 0, 9});

  write_npy<double>(dir / "features.npy", "<f8", {-1.5, 2.0, 300.0, 0.25}, "(2, 1, 2)");
  write_npy<std::int32_t>(dir / "y2.npy", "<i4", {1, 2}, "(2,)");
  const Dataset features = io::load_npy_data_set(dir / "features.npy", dir / "y2.npy");
  CHECK(features.images == std::vector<float>{-1.5f, 2.0f, 300.0f, 0.25f});
  CHECK(features.image_rows == 1);
  CHECK(features.image_cols == 2);

  // What save_npy_data_set writes reads back as it was.
  io::save_npy_data_set(features, dir / "saved_x.npy", dir / "saved_y.npy");
  const Dataset again = io::load_npy_data_set(dir / "saved_x.npy", dir / "saved_y.npy");
  CHECK(again.images == features.images);
  CHECK(again.labels == features.labels);
  CHECK(io::load_npy(dir / "saved_y.npy").stored == io::NpyType::uint8);
}

TEST_CASE("a data set from .npy arrays that do not fit together is refused, naming the file") {
  testing::TempDir dir;
  write_npy<float>(dir / "x.npy", "<f4", {1, 2, 3, 4}, "(2, 2)");
  write_npy<std::int64_t>(dir / "three.npy", "<i8", {1, 2, 3}, "(3,)");
  CHECK_THROWS_WITH(io::load_npy_data_set(dir / "x.npy", dir / "three.npy"),
                    Catch::Matchers::Contains("three.npy has shape (3,); it must be (2,), a label for each of the 2 samples"));
  write_npy<std::int64_t>(dir / "large.npy", "<i8", {1, 300}, "(2,)");
  CHECK_THROWS_WITH(io::load_npy_data_set(dir / "x.npy", dir / "large.npy"),
                    Catch::Matchers::Contains("large.npy: label 1 is 300"));
  write_npy<std::int64_t>(dir / "huge.npy", "<i8", {1, std::int64_t{1} << 40}, "(2,)");
  CHECK_THROWS_WITH(io::load_npy(dir / "huge.npy"),
                    Catch::Matchers::Contains("huge.npy: value 1 is the integer 1099511627776, which float32 cannot hold exactly"));
  write_npy<float>(dir / "flat.npy", "<f4", {1, 2}, "(2,)");
  CHECK_THROWS_WITH(io::load_npy_data_set(dir / "flat.npy", dir / "large.npy"),
                    Catch::Matchers::Contains("flat.npy has shape (2,); samples are (count, height, width) or (count, features)"));
}

TEST_CASE("indices from .npy, and a data set of some of its columns") {
  testing::TempDir dir;
  write_npy<std::int64_t>(dir / "columns.npy", "<i8", {2, 0}, "(2,)");
  const std::vector<std::size_t> columns = io::load_npy_indices(dir / "columns.npy");
  CHECK(columns == std::vector<std::size_t>{2, 0});
  Dataset data;
  data.count = 2, data.features = 3, data.images = {1, 2, 3, 4, 5, 6}, data.labels = {4, 5};
  data.images_source = "x.npy";
  const Dataset selected = select_columns(data, columns);
  CHECK(selected.features == 2);
  CHECK(selected.images == std::vector<float>{3, 1, 6, 4});
  CHECK(selected.labels == data.labels);
  const std::size_t outside[] = {3}, twice[] = {1, 1};
  CHECK_THROWS_WITH(select_columns(data, outside),
                    Catch::Matchers::Contains("select_columns on x.npy: column 3 is outside its 3 features (0 to 2)"));
  CHECK_THROWS_WITH(select_columns(data, twice), Catch::Matchers::Contains("column 1 is selected twice"));
  write_npy<double>(dir / "half.npy", "<f8", {1.5}, "(1,)");
  CHECK_THROWS_WITH(io::load_npy_indices(dir / "half.npy"), Catch::Matchers::Contains("half.npy: value 0 is 1.5"));
}
