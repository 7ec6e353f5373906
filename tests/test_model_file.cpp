// Model files: the byte layout against the format's definition, bit-exact round trips on both
// backends, and a clear error for every kind of bad file.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include <bit>
#include <cstring>
#include <fstream>
#include <iterator>
#include <zlib.h>

#include "dense_views.hpp"
#include "parameter_bits.hpp"
#include "temp_dir.hpp"

using namespace ctnn;

namespace {

using Small = Net<Dense<3, 4, Tanh>, Softmax<2>>;
using Seedlike = Net<Dense<20, 16, ReLU>, Dense<16, 8, Sigmoid>, Softmax<5>>;

std::string read_all(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), {}};
}
void write_all(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}
std::uint64_t little_endian_at(const std::string& bytes, std::size_t offset, std::size_t size) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < size; ++i) value |= std::uint64_t(std::uint8_t(bytes[offset + i])) << (8 * i);
  return value;
}
template <class M>
void give_biases_values(M& model) {
  for (std::size_t l = 0; l < testing::depth(model); ++l)
    for (std::size_t o = 0; o < testing::bias(model, l).size(); ++o) testing::bias(model, l)[o] = 0.125f * float(o) - 0.3f;
}

}  // namespace

TEST_CASE("the fingerprint is FNV-1a 64 and the checksum CRC-32, checked on their published test vectors") {
  STATIC_REQUIRE(fingerprint_of("") == 0xcbf29ce484222325u);
  STATIC_REQUIRE(fingerprint_of("a") == 0xaf63dc4c8601ec8cu);
  STATIC_REQUIRE(fingerprint_of("foobar") == 0x85944171f73967e8u);
  CHECK(io::detail::crc32_of("123456789", 9) == 0xcbf43926u);
}

TEST_CASE("the architecture text names sizes and activations, not training options") {
  using Regularized = Net<Dense<3, 4, Tanh, L2<0.5f>, HeNormal>, Softmax<2>>;
  CHECK(Small::architecture() == "3-4:tanh-2:softmax");
  STATIC_REQUIRE(Small::fingerprint == Regularized::fingerprint);
  STATIC_REQUIRE(Small::fingerprint != Net<Dense<3, 4, ReLU>, Softmax<2>>::fingerprint);
  STATIC_REQUIRE(Small::fingerprint != Net<Dense<3, 5, Tanh>, Softmax<2>>::fingerprint);
  STATIC_REQUIRE(Small::fingerprint != Net<Dense<3, 4, Tanh>, Dense<4, 2, Linear>>::fingerprint);
  CHECK(engine::parse_spec("3-4:tanh:l1=0.1-2:softmax").fingerprint() == Small::fingerprint);
}

TEST_CASE("a model file holds the fields of the format, little-endian, in order") {
  testing::TempDir dir;
  Model<Small> model{Seed{3}};
  give_biases_values(model);
  io::save(model, dir / "small.ctnn");
  const std::string bytes = read_all(dir / "small.ctnn");
  const std::string architecture = "3-4:tanh-2:softmax";
  CHECK(bytes.substr(0, 8) == "CTNNMODL");
  CHECK(little_endian_at(bytes, 8, 4) == 2);
  CHECK(little_endian_at(bytes, 12, 8) == fingerprint_of(architecture));
  CHECK(little_endian_at(bytes, 20, 4) == architecture.size());
  CHECK(bytes.substr(24, architecture.size()) == architecture);
  std::size_t at = 24 + architecture.size();
  REQUIRE(little_endian_at(bytes, at, 4) == 4);
  at += 4;
  // The directory: Keras's names and shapes, each with element type 1 (float32).
  const struct {
    std::string name;
    std::vector<std::size_t> shape;
  } directory[] = {{"dense/kernel", {3, 4}}, {"dense/bias", {4}}, {"dense_1/kernel", {4, 2}}, {"dense_1/bias", {2}}};
  for (const auto& [name, shape] : directory) {
    INFO(name);
    REQUIRE(little_endian_at(bytes, at, 4) == name.size());
    CHECK(bytes.substr(at + 4, name.size()) == name);
    at += 4 + name.size();
    CHECK(little_endian_at(bytes, at, 4) == 1);
    REQUIRE(little_endian_at(bytes, at + 4, 4) == shape.size());
    at += 8;
    for (const std::size_t extent : shape) {
      CHECK(little_endian_at(bytes, at, 8) == extent);
      at += 8;
    }
  }
  const std::size_t parameters = 3 * 4 + 4 + 4 * 2 + 2;
  CHECK(little_endian_at(bytes, at, 8) == parameters);
  at += 8;
  REQUIRE(bytes.size() == at + 4 * parameters + 4);
  // Kernel 0 row-major, bias 0, kernel 1, bias 1.
  std::vector<float> expected;
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t o = 0; o < 4; ++o) expected.push_back(testing::kernel(model, 0)(i, o));
  for (const float b : testing::bias(model, 0)) expected.push_back(b);
  for (std::size_t i = 0; i < 4; ++i)
    for (std::size_t o = 0; o < 2; ++o) expected.push_back(testing::kernel(model, 1)(i, o));
  for (const float b : testing::bias(model, 1)) expected.push_back(b);
  for (std::size_t p = 0; p < parameters; ++p)
    CHECK(little_endian_at(bytes, at + 4 * p, 4) == std::bit_cast<std::uint32_t>(expected[p]));
  CHECK(little_endian_at(bytes, bytes.size() - 4, 4) == crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), uInt(bytes.size() - 4)));
}

TEST_CASE("a version-1 model file (no tensor directory) still loads into either backend") {
  testing::TempDir dir;
  Model<Seedlike> model{Seed{8}};
  give_biases_values(model);
  // Version 1 as it was written: magic, version, element type, fingerprint, text, count, values, CRC.
  const std::string architecture = Seedlike::architecture();
  std::string bytes = "CTNNMODL";
  const auto append = [&](std::uint64_t value, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) bytes.push_back(char((value >> (8 * i)) & 0xff));
  };
  append(1, 4);
  append(1, 4);
  append(fingerprint_of(architecture), 8);
  append(architecture.size(), 4);
  bytes += architecture;
  append(Seedlike::param_count, 8);
  for (std::size_t l = 0; l < testing::depth(model); ++l) {
    for (std::size_t i = 0; i < testing::kernel(model, l).rows; ++i)
      for (std::size_t o = 0; o < testing::kernel(model, l).cols; ++o) append(std::bit_cast<std::uint32_t>(testing::kernel(model, l)(i, o)), 4);
    for (const float b : testing::bias(model, l)) append(std::bit_cast<std::uint32_t>(b), 4);
  }
  append(crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), uInt(bytes.size())), 4);
  write_all(dir / "v1.ctnn", bytes);

  CHECK(io::read_model_file(dir / "v1.ctnn").version == 1);
  CHECK(testing::parameter_bits(io::load<Seedlike>(dir / "v1.ctnn")) == testing::parameter_bits(model));
  CHECK(testing::parameter_bits(io::load_network(dir / "v1.ctnn")) == testing::parameter_bits(model));
  // Saved again, it is a version-2 file with the same parameters.
  io::save(io::load<Seedlike>(dir / "v1.ctnn"), dir / "v2.ctnn");
  CHECK(io::read_model_file(dir / "v2.ctnn").version == 2);
  CHECK(testing::parameter_bits(io::load<Seedlike>(dir / "v2.ctnn")) == testing::parameter_bits(model));
}

TEST_CASE("save then load is bit-exact, and the loaded model predicts the same") {
  testing::TempDir dir;
  Model<Seedlike> model{Seed{11}};
  give_biases_values(model);
  io::save(model, dir / "m.ctnn");
  const Model<Seedlike> loaded = io::load<Seedlike>(dir / "m.ctnn");
  CHECK(testing::parameter_bits(loaded) == testing::parameter_bits(model));
  float sample[20], expected[5], got[5];
  for (int i = 0; i < 20; ++i) sample[i] = 0.05f * float(i) - 0.4f;
  model.predict(sample, expected);
  loaded.predict(sample, got);
  CHECK(std::memcmp(expected, got, sizeof got) == 0);
  // Saving again replaces the file, with no temporary left behind.
  io::save(loaded, dir / "m.ctnn");
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), {}) == 1);
}

TEST_CASE("a model saved by one backend loads into the other and back, bit for bit") {
  testing::TempDir dir;
  Model<Seedlike> generated{Seed{5}};
  give_biases_values(generated);
  io::save(generated, dir / "generated.ctnn");

  engine::Network network = io::load_network(dir / "generated.ctnn");
  CHECK(network.architecture() == Seedlike::architecture());
  CHECK(testing::parameter_bits(network) == testing::parameter_bits(generated));
  float sample[20], from_generated[5], from_engine[5];
  for (int i = 0; i < 20; ++i) sample[i] = 0.1f * float(i % 7) - 0.2f;
  generated.predict(sample, from_generated);
  network.predict(sample, from_engine);
  CHECK(std::memcmp(from_generated, from_engine, sizeof from_engine) == 0);

  testing::bias(network, 2)[0] = 42.0f;
  io::save(network, dir / "engine.ctnn");
  CHECK(read_all(dir / "engine.ctnn").size() == read_all(dir / "generated.ctnn").size());
  Model<Seedlike> back{Seed{99}};
  io::load_into(back, dir / "engine.ctnn");
  CHECK(testing::parameter_bits(back) == testing::parameter_bits(network));
  CHECK(testing::bias(back, 2)[0] == 42.0f);
}

TEST_CASE("bad model files are rejected with a message naming the file and the problem") {
  testing::TempDir dir;
  Model<Small> model{Seed{1}};
  io::save(model, dir / "good.ctnn");
  const std::string good = read_all(dir / "good.ctnn");
  const auto bad = dir / "bad.ctnn";
  using Catch::Matchers::Contains;

  SECTION("missing") {
    CHECK_THROWS_WITH(io::load<Small>(dir / "absent.ctnn"), Contains("absent.ctnn: cannot open model file"));
  }
  SECTION("every truncation, down to an empty file") {
    for (std::size_t size = 0; size < good.size(); ++size) {
      write_all(bad, good.substr(0, size));
      INFO("truncated to " << size << " bytes");
      CHECK_THROWS_WITH(io::load<Small>(bad), Contains("bad.ctnn: ") && (size == 0 ? Contains("not a ctnn model file") : Contains("truncated")));
    }
  }
  SECTION("wrong magic number") {
    write_all(bad, "P5\n28 28\n255\n" + good.substr(13));
    CHECK_THROWS_WITH(io::load<Small>(bad), Contains("bad.ctnn: not a ctnn model file"));
  }
  // The directory starts after the architecture text and the tensor count; its first entry is
  // "dense/kernel", (3, 4). Edits there are resealed with a valid checksum.
  const std::size_t directory = 24 + Small::architecture().size() + 4;
  const auto resealed = [&](std::string bytes) {
    const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), uInt(bytes.size() - 4));
    for (std::size_t i = 0; i < 4; ++i) bytes[bytes.size() - 4 + i] = char((crc >> (8 * i)) & 0xff);
    return bytes;
  };
  REQUIRE(good.substr(directory + 4, 12) == "dense/kernel");
  SECTION("a newer format version") {
    std::string newer = good;
    newer[8] = 3;
    write_all(bad, newer);
    CHECK_THROWS_WITH(io::load<Small>(bad), Contains("bad.ctnn: written in model format version 3, newer than this build"));
  }
  SECTION("another element type") {
    std::string doubles = good;
    doubles[directory + 16] = 2;
    write_all(bad, resealed(doubles));
    CHECK_THROWS_WITH(io::load<Small>(bad), Contains("bad.ctnn: tensor \"dense/kernel\" has element type 2, which is not supported"));
  }
  SECTION("a tensor of another name") {
    std::string renamed = good;
    renamed[directory + 4 + 11] = 'x';
    write_all(bad, resealed(renamed));
    CHECK_THROWS_WITH(io::load<Small>(bad), Contains("bad.ctnn: has no tensor \"dense/kernel\" (3-4:tanh-2:softmax needs it)"));
  }
  SECTION("a tensor of another shape with as many values") {
    std::string transposed = good;
    transposed[directory + 24] = 4;
    transposed[directory + 32] = 3;
    write_all(bad, resealed(transposed));
    CHECK_THROWS_WITH(io::load<Small>(bad), Contains("bad.ctnn: tensor \"dense/kernel\" has shape (4, 3) where 3-4:tanh-2:softmax needs (3, 4)"));
  }
  SECTION("extents that promise more values than the file holds, or that overflow") {
    for (const std::uint64_t extent : {std::uint64_t(1) << 40, std::uint64_t(1) << 62, ~std::uint64_t(0)}) {
      std::string lying = good;
      for (std::size_t i = 0; i < 8; ++i) lying[directory + 24 + i] = char((extent >> (8 * i)) & 0xff);
      write_all(bad, resealed(lying));
      CHECK_THROWS_WITH(io::load<Small>(bad), Contains("bad.ctnn: truncated or corrupted: tensor \"dense/kernel\" has an extent of"));
    }
  }
  SECTION("a rank out of range") {
    std::string flat = good;
    flat[directory + 20] = 9;
    write_all(bad, resealed(flat));
    CHECK_THROWS_WITH(io::load<Small>(bad), Contains("bad.ctnn: corrupted: tensor \"dense/kernel\" has rank 9 (1 to 4 allowed)"));
  }
  SECTION("a flipped bit anywhere in the parameters breaks the checksum") {
    for (std::size_t byte = good.size() - 4 - 4 * Small::param_count; byte < good.size() - 4; byte += 3) {
      std::string damaged = good;
      damaged[byte] = char(damaged[byte] ^ 0x10);
      write_all(bad, damaged);
      CHECK_THROWS_WITH(io::load<Small>(bad), Contains("bad.ctnn: corrupted: the checksum does not match"));
    }
  }
  SECTION("bytes after the checksum") {
    write_all(bad, good + "x");
    CHECK_THROWS_WITH(io::load<Small>(bad), Contains("1 unexpected bytes after the checksum"));
  }
  SECTION("another architecture: both descriptions are printed, on either backend") {
    using Other = Net<Dense<3, 5, Tanh>, Softmax<2>>;
    CHECK_THROWS_WITH(io::load<Other>(dir / "good.ctnn"),
                      Contains("good.ctnn: holds a model of another architecture") &&
                          Contains("in the file: 3-4:tanh-2:softmax") && Contains("expected:    3-5:tanh-2:softmax"));
    engine::Network relu{"3-4:relu-2:softmax"};
    CHECK_THROWS_WITH(io::load_into(relu, dir / "good.ctnn"), Contains("expected:    3-4:relu-2:softmax"));
  }
}
