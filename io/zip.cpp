#include "zip.hpp"

#include <zlib.h>

#include <utility>

namespace ctnn::io {

std::string detail::inflate_raw(std::string_view compressed, std::size_t size, const std::string& where) {
  // Sizes are checked against the compressed bytes present before anything is allocated: an entry
  // cannot claim gigabytes from a few bytes.
  if (size > zip_entry_limit)
    throw Error(where + ": claims " + std::to_string(size) + " bytes uncompressed, more than ctnn unpacks (" +
                std::to_string(zip_entry_limit) + ")");
  if (size / deflate_max_ratio > compressed.size())
    throw Error(where + ": corrupted: " + std::to_string(compressed.size()) + " compressed bytes cannot hold the " +
                std::to_string(size) + " bytes it claims");
  std::string out(size, '\0');
  z_stream stream{};
  if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) throw Error(where + ": cannot start zlib");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = uInt(compressed.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = uInt(out.size());
  const int result = inflate(&stream, Z_FINISH);
  const std::size_t produced = stream.total_out;
  inflateEnd(&stream);
  if (result != Z_STREAM_END || produced != size) throw Error(where + ": corrupted compressed data");
  return out;
}

std::string zip_bytes(const std::vector<ZipEntry>& entries) {
  using detail::append_little_endian;
  std::string archive, directory;
  for (const ZipEntry& entry : entries) {
    if (entry.data.size() >= 0xffffffffu || archive.size() >= 0xffffffffu)
      throw Error("zip: " + entry.name + " is too large for this writer (4 GiB)");
    const std::uint32_t crc = detail::crc32_of(entry.data.data(), entry.data.size());
    const auto size = std::uint32_t(entry.data.size()), offset = std::uint32_t(archive.size());
    const auto name_length = std::uint16_t(entry.name.size());
    // Local header: signature, version 2.0, flags, method 0 (stored), time, date, CRC, sizes, name.
    append_little_endian(archive, std::uint32_t{0x04034b50});
    for (const std::uint16_t field : {std::uint16_t{20}, std::uint16_t{0}, std::uint16_t{0}, std::uint16_t{0}, std::uint16_t{0x21}})
      append_little_endian(archive, field);
    for (const std::uint32_t field : {crc, size, size}) append_little_endian(archive, field);
    append_little_endian(archive, name_length);
    append_little_endian(archive, std::uint16_t{0});
    archive.append(entry.name).append(entry.data);
    // Central directory entry: the same, plus comment, disk, attributes and the local header's offset.
    append_little_endian(directory, std::uint32_t{0x02014b50});
    for (const std::uint16_t field : {std::uint16_t{20}, std::uint16_t{20}, std::uint16_t{0}, std::uint16_t{0}, std::uint16_t{0},
                                      std::uint16_t{0x21}})
      append_little_endian(directory, field);
    for (const std::uint32_t field : {crc, size, size}) append_little_endian(directory, field);
    for (const std::uint16_t field : {name_length, std::uint16_t{0}, std::uint16_t{0}, std::uint16_t{0}, std::uint16_t{0}})
      append_little_endian(directory, field);
    append_little_endian(directory, std::uint32_t{0});
    append_little_endian(directory, offset);
    directory.append(entry.name);
  }
  const auto directory_offset = std::uint32_t(archive.size()), directory_size = std::uint32_t(directory.size());
  const auto count = std::uint16_t(entries.size());
  archive.append(directory);
  append_little_endian(archive, std::uint32_t{0x06054b50});
  for (const std::uint16_t field : {std::uint16_t{0}, std::uint16_t{0}, count, count}) append_little_endian(archive, field);
  append_little_endian(archive, directory_size);
  append_little_endian(archive, directory_offset);
  append_little_endian(archive, std::uint16_t{0});
  return archive;
}

std::vector<ZipEntry> read_zip(std::string_view bytes, const std::string& path) {
  using detail::read_little_endian;
  const auto need = [&](std::uint64_t at, std::uint64_t size, const char* what) {
    if (at > bytes.size() || size > bytes.size() - at) throw Error(path + ": truncated zip archive (in the " + what + ")");
  };
  // The end-of-central-directory record: 22 bytes plus a comment of up to 65535, at the very end.
  std::size_t end = std::string_view::npos;
  for (std::size_t at = bytes.size() >= 22 ? bytes.size() - 22 : std::string_view::npos;
       at != std::string_view::npos && bytes.size() - at <= 22 + 0xffff; --at) {
    if (read_little_endian(bytes, at, 4) == 0x06054b50) {
      end = at;
      break;
    }
    if (at == 0) break;
  }
  if (end == std::string_view::npos) throw Error(path + ": not a zip archive (.npz files are zip archives of .npy files)");
  std::uint64_t count = read_little_endian(bytes, end + 10, 2), directory = read_little_endian(bytes, end + 16, 4);
  if ((count == 0xffff || directory == 0xffffffffu) && end >= 20 && read_little_endian(bytes, end - 20, 4) == 0x07064b50) {
    const std::uint64_t zip64_end = read_little_endian(bytes, end - 20 + 8, 8);
    need(zip64_end, 56, "Zip64 end record");
    count = read_little_endian(bytes, zip64_end + 32, 8);
    directory = read_little_endian(bytes, zip64_end + 48, 8);
  }
  std::vector<ZipEntry> entries;
  std::uint64_t at = directory;
  for (std::uint64_t e = 0; e < count; ++e) {
    need(at, 46, "central directory");
    if (read_little_endian(bytes, at, 4) != 0x02014b50) throw Error(path + ": corrupted zip central directory");
    const auto method = read_little_endian(bytes, at + 10, 2), crc = read_little_endian(bytes, at + 16, 4);
    std::uint64_t compressed = read_little_endian(bytes, at + 20, 4), size = read_little_endian(bytes, at + 24, 4);
    const auto name_length = read_little_endian(bytes, at + 28, 2), extra_length = read_little_endian(bytes, at + 30, 2),
               comment_length = read_little_endian(bytes, at + 32, 2);
    std::uint64_t local = read_little_endian(bytes, at + 42, 4);
    need(at + 46, name_length + extra_length, "central directory");
    ZipEntry entry{std::string(bytes.substr(at + 46, name_length)), {}};
    // Zip64: the fields that read 0xffffffff follow in the extra field with id 1, in this order.
    // Each field's length is checked against the extra field's, which need() checked against the file.
    const std::uint64_t extra_end = at + 46 + name_length + extra_length;
    for (std::uint64_t x = at + 46 + name_length; x + 4 <= extra_end;) {
      const auto id = read_little_endian(bytes, x, 2), length = read_little_endian(bytes, x + 2, 2);
      if (x + 4 + length > extra_end)
        throw Error(path + ": " + entry.name + ": corrupted zip extra field (its length runs past the entry's)");
      std::uint64_t field = x + 4;
      if (id == 1)
        for (std::uint64_t* value : {&size, &compressed, &local})
          if (*value == 0xffffffffu && field + 8 <= x + 4 + length) {
            *value = read_little_endian(bytes, field, 8);
            field += 8;
          }
      x += 4 + length;
    }
    const std::string where = path + ": " + entry.name;
    need(local, 30, "local header");
    if (read_little_endian(bytes, local, 4) != 0x04034b50) throw Error(where + ": corrupted zip local header");
    const std::uint64_t data = local + 30 + read_little_endian(bytes, local + 26, 2) + read_little_endian(bytes, local + 28, 2);
    need(data, compressed, "entry data");
    const std::string_view stored = bytes.substr(data, compressed);
    if (method == 0 && compressed == size) entry.data.assign(stored);
    else if (method == 8) entry.data = detail::inflate_raw(stored, size, where);
    else throw Error(where + ": zip compression method " + std::to_string(method) + " is not supported (stored or deflate only)");
    if (detail::crc32_of(entry.data.data(), entry.data.size()) != crc) throw Error(where + ": corrupted: CRC-32 mismatch");
    entries.push_back(std::move(entry));
    at += 46 + name_length + extra_length + comment_length;
  }
  return entries;
}

}  // namespace ctnn::io
