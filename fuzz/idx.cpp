// IDX data sets, plain or gzipped: the input is a labels file and an images file, the first
// uint32 (little-endian) giving the labels file's length.
#include <ctnn/io/idx.hpp>

#include <cstdint>

#include "fuzz_target.hpp"

void fuzz_one(std::string_view bytes) {
  if (bytes.size() < 4) return;
  const std::size_t labels_size = std::uint8_t(bytes[0]) | std::uint8_t(bytes[1]) << 8 | std::size_t(std::uint8_t(bytes[2])) << 16 |
                                  std::size_t(std::uint8_t(bytes[3])) << 24;
  bytes.remove_prefix(4);
  const std::string_view labels = bytes.substr(0, labels_size), images = bytes.substr(std::min(labels_size, bytes.size()));
  ctnn::io::read_idx(fuzz::file_with(images, "images"), fuzz::file_with(labels, "labels"));
}
