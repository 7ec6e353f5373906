// The part of the ZIP format that NumPy's .npz files use: writing stored (uncompressed) entries,
// reading stored or deflated ones (np.savez and np.savez_compressed), Zip64 sizes included.
// Every entry's CRC-32 is checked. Errors name the archive and the entry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../error.hpp"
#include "byte_order.hpp"

namespace ctnn::io {

struct ZipEntry {
  std::string name;
  std::string data;
};

// The largest entry read_zip unpacks: 1 GiB, a quarter of a billion float32 values.
inline constexpr std::uint64_t zip_entry_limit = std::uint64_t{1} << 30;

namespace detail {

// Deflate cannot expand data more than 1032-fold (258 bytes from a 2-bit code, at best).
inline constexpr std::uint64_t deflate_max_ratio = 1032;

std::string inflate_raw(std::string_view compressed, std::size_t size, const std::string& where);

}  // namespace detail

// An archive of stored entries, as bytes.
std::string zip_bytes(const std::vector<ZipEntry>& entries);

// Every entry of an archive's bytes, found through its central directory.
std::vector<ZipEntry> read_zip(std::string_view bytes, const std::string& path);

}  // namespace ctnn::io
