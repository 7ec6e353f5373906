// Hostile inputs to every loader, each found by hand or by a mutation fuzzer: lying size fields,
// truncated headers, overflowing shapes and archives that claim more than they hold. Each must end
// in a ctnn::Error that names the file and the problem, without reading past the bytes present and
// without allocating what a header merely claims.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <ctnn/ctnn.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "archive_bytes.hpp"
#include "temp_dir.hpp"

using namespace ctnn;
using Catch::Matchers::Contains;
using testing::append;
using testing::raw_deflate;
using testing::write_all;

namespace {

std::string big_endian(std::uint32_t value) {
  return {char(value >> 24), char(value >> 16), char(value >> 8), char(value)};
}

// A one-entry zip archive, every field given: what the entry claims and what it holds may differ.
struct ZipEntrySpec {
  std::string name = "dense/kernel.npy";
  std::string stored;  // the bytes in the archive
  std::uint16_t method = 0;
  std::uint32_t crc = 0, compressed = 0, size = 0;
  std::string extra;  // the central directory's extra field
};
std::string zip_of(const ZipEntrySpec& e) {
  std::string archive;
  append(archive, std::uint32_t{0x04034b50});
  for (std::uint16_t field : {std::uint16_t{20}, std::uint16_t{0}, e.method, std::uint16_t{0}, std::uint16_t{0x21}})
    append(archive, field);
  for (std::uint32_t field : {e.crc, e.compressed, e.size}) append(archive, field);
  append(archive, std::uint16_t(e.name.size()));
  append(archive, std::uint16_t{0});
  archive += e.name + e.stored;
  const auto directory_offset = std::uint32_t(archive.size());
  append(archive, std::uint32_t{0x02014b50});
  for (std::uint16_t field : {std::uint16_t{20}, std::uint16_t{20}, std::uint16_t{0}, e.method, std::uint16_t{0},
                              std::uint16_t{0x21}})
    append(archive, field);
  for (std::uint32_t field : {e.crc, e.compressed, e.size}) append(archive, field);
  for (std::uint16_t field : {std::uint16_t(e.name.size()), std::uint16_t(e.extra.size()), std::uint16_t{0},
                              std::uint16_t{0}, std::uint16_t{0}})
    append(archive, field);
  append(archive, std::uint32_t{0});
  append(archive, std::uint32_t{0});  // the local header's offset
  archive += e.name + e.extra;
  const auto directory_size = std::uint32_t(archive.size() - directory_offset);
  append(archive, std::uint32_t{0x06054b50});
  for (std::uint16_t field : {std::uint16_t{0}, std::uint16_t{0}, std::uint16_t{1}, std::uint16_t{1}}) append(archive, field);
  append(archive, directory_size);
  append(archive, directory_offset);
  append(archive, std::uint16_t{0});
  return archive;
}
// A .npy file whose header dict is `dict` verbatim (the length field tells its true length).
std::string npy_with_dict(const std::string& dict, const std::string& data = {}) {
  std::string bytes("\x93NUMPY\x01\x00", 8);
  append(bytes, std::uint16_t(dict.size()));
  return bytes + dict + data;
}
std::string npy_error(const std::string& bytes) {
  try {
    io::parse_npy(bytes, "x.npy");
  } catch (const Error& error) {
    return error.what();
  }
  FAIL("parse_npy accepted a bad file");
  return {};
}
// The process's peak resident memory, in MiB (each Catch test case runs in its own process under CTest).
long peak_resident_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

}  // namespace

TEST_CASE("a Zip64 extra field whose length runs past the entry's is corrupt, not read beyond it") {
  testing::TempDir dir;
  // The size reads 0xffffffff, so the reader looks for it in a Zip64 field (id 1) that claims 65535 bytes
  // and holds none: the archive ends a few bytes later.
  std::string extra;
  append(extra, std::uint16_t{1});
  append(extra, std::uint16_t{0xffff});
  write_all(dir / "w.npz", zip_of({.stored = "abcd", .crc = 0, .compressed = 4, .size = 0xffffffffu, .extra = extra}));
  CHECK_THROWS_WITH(io::read_npz(dir / "w.npz"), Contains("w.npz: dense/kernel.npy: corrupted zip extra field"));
}

TEST_CASE("a zip entry that claims gigabytes from a few bytes is refused before anything is allocated") {
  testing::TempDir dir;
  const std::string zeros(1 << 20, '\0');
  const std::string packed = raw_deflate(zeros);  // about a kilobyte
  const auto crc = std::uint32_t(crc32(0, reinterpret_cast<const Bytef*>(zeros.data()), uInt(zeros.size())));
  const long before = peak_resident_mib();
  SECTION("4 GiB from 206 bytes") {
    write_all(dir / "w.npz", zip_of({.stored = packed.substr(0, 140), .method = 8, .crc = crc, .compressed = 140,
                                     .size = 0xfffffff0u, .extra = {}}));
    CHECK_THROWS_WITH(io::read_npz(dir / "w.npz"), Contains("w.npz: dense/kernel.npy: claims 4294967280 bytes uncompressed"));
  }
  SECTION("a zip bomb: 600 MB (within the limit) from a kilobyte, more than deflate can expand") {
    write_all(dir / "w.npz", zip_of({.stored = packed, .method = 8, .crc = crc, .compressed = std::uint32_t(packed.size()),
                                     .size = 600u << 20, .extra = {}}));
    CHECK_THROWS_WITH(io::read_npz(dir / "w.npz"), Contains("w.npz: dense/kernel.npy: corrupted: ") &&
                                                       Contains("compressed bytes cannot hold the 629145600 bytes"));
  }
  SECTION("an honest archive of the same data still reads") {
    write_all(dir / "w.npz", zip_of({.name = "zeros.bin", .stored = packed, .method = 8, .crc = crc,
                                     .compressed = std::uint32_t(packed.size()), .size = std::uint32_t(zeros.size()), .extra = {}}));
    CHECK_THROWS_WITH(io::read_npz(dir / "w.npz"), Contains("zeros.bin: not a .npy file"));  // it read and inflated it
  }
  CHECK(peak_resident_mib() - before < 256);
}

TEST_CASE(".npy headers that end early, shapes that are not tuples and shapes that overflow are errors") {
  const std::string start = "{'descr': '<f4', 'fortran_order': False, 'shape': ";
  CHECK_THROWS_WITH(io::parse_npy(npy_with_dict(start), "x.npy"), Contains("x.npy: malformed .npy header (no value for 'shape')"));
  CHECK_THROWS_WITH(io::parse_npy(npy_with_dict(start + "}"), "x.npy"), Contains("x.npy: malformed shape"));
  CHECK_THROWS_WITH(io::parse_npy(npy_with_dict(start + "5, }", "abcd"), "x.npy"), Contains("x.npy: malformed shape 5"));
  CHECK_THROWS_WITH(io::parse_npy(npy_with_dict(start + "(99999999999999999999999,), }"), "x.npy"),
                    Contains("x.npy: malformed shape"));
  CHECK_THROWS_WITH(io::parse_npy(npy_with_dict(start + "(-3,), }"), "x.npy"), Contains("x.npy: malformed shape"));
  // 2^32 x 2^32 wraps to 0 in 64 bits: such a file would claim no data at all.
  CHECK(npy_error(npy_with_dict(start + "(4294967296, 4294967296), }")).find("more than 1073741824 values") !=
        std::string::npos);
  CHECK_THROWS_WITH(io::parse_npy(npy_with_dict(start + "(65536, 65536), }"), "x.npy"), Contains("more than 1073741824 values"));
  // The same header with a plausible shape and its data is read.
  CHECK(io::parse_npy(npy_with_dict(start + "(1,), }", std::string(4, '\0')), "x.npy").values.size() == 1);
}

TEST_CASE("a short model file whose architecture describes a huge network is refused before the network is built") {
  testing::TempDir dir;
  const std::string architecture = "65536-65536:relu-65536:relu-65536:relu-65536:relu-10:softmax";
  std::string bytes = "CTNNMODL";
  append(bytes, std::uint32_t{1});
  append(bytes, std::uint32_t{1});
  append(bytes, fingerprint_of(architecture));
  append(bytes, std::uint32_t(architecture.size()));
  bytes += architecture;
  append(bytes, std::uint64_t{0});
  append(bytes, std::uint32_t(crc32(0, reinterpret_cast<const Bytef*>(bytes.data()), uInt(bytes.size()))));
  write_all(dir / "huge.ctnn", bytes);
  const long before = peak_resident_mib();
  CHECK_THROWS_WITH(io::load_network(dir / "huge.ctnn"),
                    Contains("huge.ctnn: corrupted: 0 parameters where 65536-65536:relu") && Contains("has 17180786698"));
  CHECK(peak_resident_mib() - before < 256);
}

TEST_CASE("a spec whose layers each pass the size limit but add up to 64 GiB is refused") {
  CHECK_THROWS_WITH(engine::Network("65536-65536-65536-65536-65536-10:softmax"),
                    Contains("engine::Network: the network has more than 2^30 parameters (from layer 0, 65536 x 65536"));
  // 1,001,000 parameters a layer: the 1073rd (index 1072) is one too many.
  std::string thousand_layers = "1000";
  for (int l = 0; l < 1100; ++l) thousand_layers += "-1000";
  thousand_layers += "-10:softmax";
  CHECK_THROWS_WITH(engine::Network(thousand_layers), Contains("more than 2^30 parameters (from layer 1072, 1000 x 1000"));
}

TEST_CASE("a spec that ends in a comment, on one line or in a file without a final newline, parses") {
  testing::TempDir dir;
  CHECK(engine::parse_spec("784-10:softmax  # the seed").to_string() == "784-10:softmax");
  CHECK(engine::parse_spec("784-10:softmax#").to_string() == "784-10:softmax");
  write_all(dir / "seed.spec", "784\n400:relu\n10:softmax\n# the end, no newline");
  CHECK(engine::load_spec(dir / "seed.spec").to_string() == "784-400:relu-10:softmax");
}

TEST_CASE("IDX headers whose dimensions overflow or claim more than the file holds") {
  testing::TempDir dir;
  const auto labels = [&](std::uint32_t count) {
    write_all(dir / "labels", big_endian(0x801) + big_endian(count) + std::string(count, '\1'));
    return dir / "labels";
  };
  const long before = peak_resident_mib();
  SECTION("2^16 images of 2^24 x 2^24: the product wraps to 0 in 64 bits") {
    write_all(dir / "images", big_endian(0x803) + big_endian(1u << 16) + big_endian(1u << 24) + big_endian(1u << 24));
    CHECK_THROWS_WITH(io::read_idx(dir / "images", labels(1u << 16)),
                      Contains("images: the header announces 65536 images of 16777216x16777216, more than ctnn reads"));
  }
  SECTION("a 16-byte header that announces 4 GiB of pixels, and no pixel") {
    write_all(dir / "images", big_endian(0x803) + big_endian(1u << 22) + big_endian(32) + big_endian(32));
    CHECK_THROWS_WITH(io::read_idx(dir / "images", labels(1u << 22)),
                      Contains("images: truncated: the header announces 4194304 images of 32x32") &&
                          Contains("but only 0 bytes follow"));
  }
  CHECK(peak_resident_mib() - before < 256);
}

TEST_CASE("a save removes the temporaries of killed writers of the same file, and nothing else") {
  testing::TempDir dir;
  const pid_t child = fork();
  if (child == 0) _exit(0);
  REQUIRE(child > 0);
  REQUIRE(waitpid(child, nullptr, 0) == child);  // its pid now names no process
  const auto dead = dir / ("m.ctnn.tmp-" + std::to_string(child));
  const auto other_file = dir / ("n.ctnn.tmp-" + std::to_string(child));
  const auto live = dir / ("m.ctnn.tmp-" + std::to_string(getppid()));
  const auto not_a_pid = dir / "m.ctnn.tmp-notes";
  for (const auto& path : {dead, other_file, live, not_a_pid}) write_all(path, "partial");
  io::save(engine::Network{"3-2:softmax"}, dir / "m.ctnn");
  CHECK_FALSE(std::filesystem::exists(dead));
  CHECK(std::filesystem::exists(other_file));
  CHECK(std::filesystem::exists(live));
  CHECK(std::filesystem::exists(not_a_pid));
  CHECK(std::filesystem::exists(dir / "m.ctnn"));
}
