#include "npy.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <numeric>

#include "atomic_file.hpp"
#include "file_bytes.hpp"

namespace ctnn::io {

std::string detail::npy_header(std::span<const std::size_t> shape, std::string_view descr) {
  std::string dict = "{'descr': '";
  dict.append(descr).append("', 'fortran_order': False, 'shape': (");
  for (std::size_t d : shape) dict.append(std::to_string(d)).append(", ");
  // "(3, 4)", but "(3,)" for one dimension, as Python writes tuples.
  if (shape.size() > 1) dict.resize(dict.size() - 2);
  else if (shape.size() == 1) dict.resize(dict.size() - 1);
  dict.append("), }");
  constexpr std::size_t prefix = 10, alignment = 64;
  const std::size_t total = (prefix + dict.size() + 1 + alignment - 1) / alignment * alignment;
  dict.append(total - prefix - dict.size() - 1, ' ').append("\n");
  std::string header("\x93NUMPY\x01\x00", 8);
  header.push_back(char(dict.size() & 0xff));
  header.push_back(char(dict.size() >> 8));
  return header + dict;
}

std::string_view detail::npy_field(std::string_view dict, std::string_view key, const std::string& where) {
  std::string quoted_key = "'";  // appended piece by piece: "'" + std::string trips a false GCC 12 -Wrestrict
  quoted_key.append(key).append("':");
  const std::size_t at = dict.find(quoted_key);
  if (at == std::string_view::npos) throw Error(where + ": the .npy header has no '" + std::string(key) + "'");
  std::size_t begin = at + key.size() + 3;
  while (begin < dict.size() && dict[begin] == ' ') ++begin;
  if (begin == dict.size()) throw Error(where + ": malformed .npy header (no value for '" + std::string(key) + "')");
  const std::size_t end = dict[begin] == '(' ? dict.find(')', begin) + 1 : dict.find_first_of(",}", begin);
  if (end == std::string_view::npos || end == 0) throw Error(where + ": malformed .npy header");
  return dict.substr(begin, end - begin);
}

std::string npy_bytes(std::span<const float> values, std::span<const std::size_t> shape) {
  static_assert(std::endian::native == std::endian::little, "npy_bytes writes the machine's floats as '<f4'");
  std::string bytes = detail::npy_header(shape);
  bytes.append(reinterpret_cast<const char*>(values.data()), values.size_bytes());
  return bytes;
}

std::string npy_bytes(std::span<const std::uint8_t> values, std::span<const std::size_t> shape) {
  std::string bytes = detail::npy_header(shape, "|u1");
  bytes.append(reinterpret_cast<const char*>(values.data()), values.size());
  return bytes;
}

NpyArray parse_npy(std::string_view bytes, const std::string& where) {
  static_assert(std::endian::native == std::endian::little);
  if (bytes.size() < 10 || bytes.substr(0, 6) != "\x93NUMPY") throw Error(where + ": not a .npy file");
  const int major = bytes[6];
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  if (major < 1 || major > 3 || bytes.size() < 8 + length_bytes) throw Error(where + ": unsupported .npy version " + std::to_string(major));
  std::size_t header_length = 0;
  for (std::size_t i = 0; i < length_bytes; ++i) header_length |= std::size_t(std::uint8_t(bytes[8 + i])) << (8 * i);
  const std::size_t data_start = 8 + length_bytes + header_length;
  if (data_start > bytes.size()) throw Error(where + ": truncated .npy header");
  const std::string_view dict = bytes.substr(8 + length_bytes, header_length);
  const std::string_view descr = detail::npy_field(dict, "descr", where);
  if (detail::npy_field(dict, "fortran_order", where) != "False")
    throw Error(where + ": is in Fortran order; save it in C order (numpy.ascontiguousarray)");
  NpyType type;
  std::size_t element = 0;
  if (descr == "'<f4'") type = NpyType::float32, element = 4;
  else if (descr == "'<f8'") type = NpyType::float64, element = 8;
  else if (descr == "'|u1'") type = NpyType::uint8, element = 1;  // as Keras's mnist.npz stores pixels and labels
  else if (descr == "'<i4'") type = NpyType::int32, element = 4;
  else if (descr == "'<i8'") type = NpyType::int64, element = 8;  // numpy's default for labels and indices
  else
    throw Error(where + ": holds " + std::string(descr) +
                " values; float32 ('<f4'), float64 ('<f8'), uint8 ('|u1'), int32 ('<i4') or int64 ('<i8') only");
  NpyArray array;
  std::string_view shape = detail::npy_field(dict, "shape", where);
  if (shape.size() < 2 || shape.front() != '(' || shape.back() != ')')
    throw Error(where + ": malformed shape " + std::string(shape) + " in the .npy header (a tuple such as (3, 4))");
  shape = shape.substr(1, shape.size() - 2);
  std::size_t count = 1;
  while (!shape.empty()) {
    std::size_t dimension = 0;
    const auto [end, error] = std::from_chars(shape.data(), shape.data() + shape.size(), dimension);
    if (error != std::errc{}) throw Error(where + ": malformed shape in the .npy header");
    // Checked before multiplying: a product that wraps around could claim no data at all.
    if (dimension != 0 && count > npy_element_limit / dimension)
      throw Error(where + ": its shape has more than " + std::to_string(npy_element_limit) + " values, more than ctnn reads");
    array.shape.push_back(dimension);
    count *= dimension;
    shape.remove_prefix(std::size_t(end - shape.data()));
    while (!shape.empty() && (shape.front() == ',' || shape.front() == ' ')) shape.remove_prefix(1);
  }
  if (bytes.size() - data_start != count * element)
    throw Error(where + ": holds " + std::to_string(bytes.size() - data_start) + " bytes of data; its shape needs " +
                std::to_string(count * element));
  array.values.resize(count);
  array.stored = type;
  const char* data = bytes.data() + data_start;
  // Integers become floats only where float32 holds them exactly, so an index or a label is never rounded.
  const auto exact_integer = [&](std::int64_t value, std::size_t i) {
    constexpr std::int64_t exact_limit = std::int64_t{1} << 24;
    if (value > exact_limit || value < -exact_limit)
      throw Error(where + ": value " + std::to_string(i) + " is the integer " + std::to_string(value) +
                  ", which float32 cannot hold exactly (ctnn reads integers up to 2^24 in magnitude)");
    return float(value);
  };
  for (std::size_t i = 0; i < count; ++i) {
    const char* at = data + element * i;
    switch (type) {
      case NpyType::float32: std::memcpy(&array.values[i], at, 4); break;
      case NpyType::uint8: array.values[i] = float(std::uint8_t(*at)); break;
      case NpyType::float64: {
        double value;
        std::memcpy(&value, at, 8);
        array.values[i] = float(value);
        break;
      }
      case NpyType::int32: {
        std::int32_t value;
        std::memcpy(&value, at, 4);
        array.values[i] = exact_integer(value, i);
        break;
      }
      case NpyType::int64: {
        std::int64_t value;
        std::memcpy(&value, at, 8);
        array.values[i] = exact_integer(value, i);
        break;
      }
    }
  }
  return array;
}

NpyArray load_npy(const std::filesystem::path& path) { return parse_npy(read_file_bytes(path, ".npy file"), path.string()); }

std::vector<std::size_t> load_npy_indices(const std::filesystem::path& path) {
  const NpyArray array = load_npy(path);
  if (array.shape.size() != 1)
    throw Error(path.string() + ": is " + std::to_string(array.shape.size()) +
                "-dimensional; indices are one-dimensional, (count,)");
  std::vector<std::size_t> indices;
  indices.reserve(array.values.size());
  for (std::size_t i = 0; i < array.values.size(); ++i) {
    const float value = array.values[i];
    if (!(value >= 0.0f && value <= 16777216.0f && value == std::floor(value)))
      throw Error(path.string() + ": value " + std::to_string(i) + " is " + std::to_string(value) +
                  "; indices are whole numbers from 0");
    indices.push_back(std::size_t(value));
  }
  return indices;
}

namespace {

// Writes the values with the shape, which must hold exactly as many.
template <class T>
void save_shaped(const std::filesystem::path& path, std::span<const T> values, std::initializer_list<std::size_t> shape) {
  const std::size_t count = std::accumulate(shape.begin(), shape.end(), std::size_t{1}, std::multiplies<>{});
  if (count != values.size())
    throw Error(path.string() + ": save_npy was given " + std::to_string(values.size()) + " values for a shape of " +
                std::to_string(count));
  write_file_atomically(path, npy_bytes(values, std::span(shape.begin(), shape.size())));
}

}  // namespace

void save_npy(const std::filesystem::path& path, std::span<const float> values,
                     std::initializer_list<std::size_t> shape) {
  save_shaped(path, values, shape);
}

void save_npy(const std::filesystem::path& path, std::span<const std::uint8_t> values,
              std::initializer_list<std::size_t> shape) {
  save_shaped(path, values, shape);
}

void save_npy(const std::filesystem::path& path, MatrixView<const float> matrix) {
  std::vector<float> packed(matrix.rows * matrix.cols);
  for (std::size_t r = 0; r < matrix.rows; ++r)
    for (std::size_t c = 0; c < matrix.cols; ++c) packed[r * matrix.cols + c] = matrix(r, c);
  save_npy(path, packed, {matrix.rows, matrix.cols});
}

}  // namespace ctnn::io
