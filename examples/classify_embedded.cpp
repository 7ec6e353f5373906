// Classifies images with a model compiled into this program: the only ctnn code here is the header
// exported from generated/fashion_mlp.ctnn (CMake checks that no other ctnn header is included), or
// in classify_embedded_cnn the one exported from generated/fashion_cnn.ctnn, a convolutional network.
//
//   classify_embedded IMAGE...
// where each IMAGE is
//   picture.pgm        a PGM image (P5 binary or P2 text) of 28x28 pixels
//   images-idx3-ubyte  an IDX file of images, plain or gzipped: every record
//   images-idx3-ubyte:N  only record N (counted from 0)
//   record.raw         one raw record: exactly 784 bytes, row by row
// and prints "IMAGE: class (probability)" for each.
#include <zlib.h>

#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#ifdef CTNN_EMBEDDED_MODEL  // the header's name, without .hpp: its namespace
#define CTNN_STRINGIFY(x) #x
#define CTNN_HEADER_OF(name) CTNN_STRINGIFY(name.hpp)
#include CTNN_HEADER_OF(CTNN_EMBEDDED_MODEL)
namespace model = CTNN_EMBEDDED_MODEL;
#else
#include "fashion_mlp.hpp"
namespace model = fashion_mlp;
#endif

#include "pgm.hpp"

namespace {

constexpr std::size_t pixels = model::inputs;

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The whole file, decompressed when gzipped (zlib reads plain files as they are).
std::vector<std::uint8_t> read_file(const std::string& path) {
  struct Close {
    void operator()(gzFile f) const { gzclose(f); }
  };
  std::unique_ptr<gzFile_s, Close> file(gzopen(path.c_str(), "rb"));
  if (!file) throw Failure(path + ": cannot open");
  std::vector<std::uint8_t> bytes;
  std::uint8_t chunk[1 << 16];
  int got = 0;
  while ((got = gzread(file.get(), chunk, sizeof chunk)) > 0) bytes.insert(bytes.end(), chunk, chunk + got);
  if (got < 0) throw Failure(path + ": cannot read (damaged gzip data?)");
  return bytes;
}

std::uint32_t big_endian(const std::vector<std::uint8_t>& bytes, std::size_t at) {
  return std::uint32_t(bytes[at]) << 24 | std::uint32_t(bytes[at + 1]) << 16 | std::uint32_t(bytes[at + 2]) << 8 | bytes[at + 3];
}

void print(const std::string& name, const std::uint8_t* image) {
  const auto [predicted, probability] = model::classify(image);
  std::printf("%s: %s (%.1f%%)\n", name.c_str(), model::class_names[predicted], 100.0 * probability);
}

void classify_argument(std::string_view argument) {
  std::string path(argument);
  long record = -1;
  if (const std::size_t colon = argument.rfind(':'); colon != std::string_view::npos) {
    const std::string_view index = argument.substr(colon + 1);
    const auto [end, error] = std::from_chars(index.data(), index.data() + index.size(), record);
    if (error != std::errc{} || end != index.data() + index.size() || record < 0)
      throw Failure(std::string(argument) + ": expected FILE:N with N a record number");
    path = argument.substr(0, colon);
  }
  const std::vector<std::uint8_t> bytes = read_file(path);
  if (examples::is_pgm(bytes)) {
    if (record >= 0) throw Failure(path + ": a PGM file holds one image; drop the :N");
    print(path, examples::parse_pgm(path, bytes, pixels).data());
  } else if (bytes.size() >= 16 && big_endian(bytes, 0) == 0x00000803) {
    const std::uint32_t count = big_endian(bytes, 4), rows = big_endian(bytes, 8), cols = big_endian(bytes, 12);
    if (std::size_t(rows) * cols != pixels)
      throw Failure(path + ": holds images of " + std::to_string(rows) + "x" + std::to_string(cols) + "; the model reads 28x28");
    if (bytes.size() < 16 + std::size_t(count) * pixels)
      throw Failure(path + ": truncated: the header announces " + std::to_string(count) + " images");
    if (record >= long(count)) throw Failure(path + ": has " + std::to_string(count) + " images; there is no record " + std::to_string(record));
    for (std::size_t i = record < 0 ? 0 : std::size_t(record); i < (record < 0 ? count : std::size_t(record) + 1); ++i)
      print(path + ":" + std::to_string(i), bytes.data() + 16 + i * pixels);
  } else if (bytes.size() == pixels && record < 0) {
    print(path, bytes.data());
  } else {
    throw Failure(path + ": neither a PGM image, an IDX images file (magic 0x00000803) nor a raw record of " +
                  std::to_string(pixels) + " bytes");
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[1]) == "--help") {
    std::fprintf(stderr, "usage: classify_embedded IMAGE...\n  IMAGE: a 28x28 PGM file, an IDX images file[:N] (gzipped or not), or a raw %zu-byte record\n"
                 "model: %s, compiled in\n", pixels, model::architecture.data());
    return argc < 2 ? 2 : 0;
  }
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    try {
      classify_argument(argv[i]);
    } catch (const std::runtime_error& failure) {  // Failure, or the PGM reader's PgmError
      std::fprintf(stderr, "classify_embedded: %s\n", failure.what());
      status = 1;
    }
  }
  return status;
}
