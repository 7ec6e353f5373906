// NumPy .npy files (format version 1.0) of float32 arrays, so that weights, activations and
// other arrays can be read by Python tools with numpy.load. Written atomically.
//   magic "\x93NUMPY", version 1 0, header length (uint16, little-endian), a Python dict
//   {'descr': '<f4', 'fortran_order': False, 'shape': (...), } padded with spaces and '\n'
//   so that the data starts at a multiple of 64 bytes, then the values, little-endian, row-major.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "../codegen/matrix_view.hpp"
#include "../error.hpp"
#include "atomic_file.hpp"

namespace ctnn::io {

namespace detail {

// The header: magic, version, length and the padded dict.
inline std::string npy_header(std::span<const std::size_t> shape) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
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

}  // namespace detail

// Saves `values` (row-major, as many as the shape's product) with the given shape.
inline void save_npy(const std::filesystem::path& path, std::span<const float> values,
                     std::initializer_list<std::size_t> shape) {
  static_assert(std::endian::native == std::endian::little, "save_npy writes the machine's floats as '<f4'");
  const std::size_t count = std::accumulate(shape.begin(), shape.end(), std::size_t{1}, std::multiplies<>{});
  if (count != values.size())
    throw Error(path.string() + ": save_npy was given " + std::to_string(values.size()) + " values for a shape of " +
                std::to_string(count));
  const std::string header = detail::npy_header(std::span(shape.begin(), shape.size()));
  write_atomically(path, [&](std::FILE* file) {
    return std::fwrite(header.data(), 1, header.size(), file) == header.size() &&
           std::fwrite(values.data(), sizeof(float), values.size(), file) == values.size();
  });
}

// Saves a matrix view (a kernel, a layer's outputs for a batch) as a rows x cols array, padding dropped.
inline void save_npy(const std::filesystem::path& path, MatrixView<const float> matrix) {
  std::vector<float> packed(matrix.rows * matrix.cols);
  for (std::size_t r = 0; r < matrix.rows; ++r)
    for (std::size_t c = 0; c < matrix.cols; ++c) packed[r * matrix.cols + c] = matrix(r, c);
  save_npy(path, packed, {matrix.rows, matrix.cols});
}

}  // namespace ctnn::io
