#include "byte_order.hpp"

#include <zlib.h>

#include <algorithm>

namespace ctnn::io::detail {

std::uint32_t crc32_of(const void* data, std::size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* bytes = static_cast<const Bytef*>(data);
  while (size > 0) {  // zlib takes 32-bit lengths
    const uInt chunk = uInt(std::min<std::size_t>(size, std::size_t(1) << 30));
    crc = crc32(crc, bytes, chunk);
    bytes += chunk;
    size -= chunk;
  }
  return std::uint32_t(crc);
}

}  // namespace ctnn::io::detail
