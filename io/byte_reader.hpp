// Reading a binary format's fields in order, with every read checked against the bytes present:
// running past the end is reported as a truncated file, naming the file and the field.
#pragma once

#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "../error.hpp"
#include "byte_order.hpp"

namespace ctnn::io::detail {

class ByteReader {
 public:
  ByteReader(std::string_view bytes, std::string path) : bytes_(bytes), path_(std::move(path)) {}

  template <std::unsigned_integral T>
  T integer(const char* field) {
    take(sizeof(T), field);
    return T(read_little_endian(bytes_, position_ - sizeof(T), sizeof(T)));
  }
  std::string_view take(std::size_t count, const char* field) {
    if (count > bytes_.size() - position_)
      throw Error(path_ + ": truncated: the file ends inside the " + field + " (byte " + std::to_string(bytes_.size()) +
                  " of at least " + std::to_string(position_ + count) + ")");
    position_ += count;
    return bytes_.substr(position_ - count, count);
  }
  std::size_t position() const { return position_; }
  std::size_t remaining() const { return bytes_.size() - position_; }
  const std::string& path() const { return path_; }

 private:
  std::string_view bytes_;
  std::string path_;
  std::size_t position_ = 0;
};

}  // namespace ctnn::io::detail
