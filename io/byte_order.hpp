// The binary formats' building blocks (model files, zip archives): little-endian integers written
// and read byte by byte, whatever the machine's order, and zlib's CRC-32.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ctnn::io::detail {

template <std::unsigned_integral T>
void append_little_endian(std::string& bytes, T value) {
  for (std::size_t i = 0; i < sizeof(T); ++i) bytes.push_back(char((value >> (8 * i)) & 0xff));
}

std::uint32_t crc32_of(const void* data, std::size_t size);

inline std::uint64_t read_little_endian(std::string_view bytes, std::size_t at, std::size_t size) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < size; ++i) value |= std::uint64_t(std::uint8_t(bytes[at + i])) << (8 * i);
  return value;
}

}  // namespace ctnn::io::detail
