// NumPy .npy files (format version 1.0) of float32 (and uint8) arrays, so that weights, activations,
// data sets and other arrays can be read by Python tools with numpy.load (written atomically), and
// reading of the arrays NumPy writes: float32, float64, uint8, int32 or int64, little-endian, C order.
//   magic "\x93NUMPY", version 1 0, header length (uint16, little-endian), a Python dict
//   {'descr': '<f4', 'fortran_order': False, 'shape': (...), } padded with spaces and '\n'
//   so that the data starts at a multiple of 64 bytes, then the values, little-endian, row-major.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../codegen/matrix_view.hpp"
#include "../error.hpp"

namespace ctnn::io {

namespace detail {

// The header: magic, version, length and the padded dict; `descr` is NumPy's type code.
std::string npy_header(std::span<const std::size_t> shape, std::string_view descr = "<f4");

// The header dict's value for `key`, as text: "'<f4'", "False", "(3, 4)".
std::string_view npy_field(std::string_view dict, std::string_view key, const std::string& where);

}  // namespace detail

// The most values parse_npy reads: 2^30 (4 GiB of float32).
inline constexpr std::size_t npy_element_limit = std::size_t{1} << 30;

// The element types parse_npy reads.
enum class NpyType { float32, float64, uint8, int32, int64 };

struct NpyArray {
  std::vector<std::size_t> shape;
  std::vector<float> values;  // row-major
  NpyType stored = NpyType::float32;  // what the file held before the conversion to float
};

// The bytes of a .npy file of float32 values with the given shape.
std::string npy_bytes(std::span<const float> values, std::span<const std::size_t> shape);
// ... and of uint8 values ('|u1', as NumPy and Keras store pixels and labels).
std::string npy_bytes(std::span<const std::uint8_t> values, std::span<const std::size_t> shape);

// Parses a .npy file's bytes: float32, float64, uint8, int32 or int64 (converted to float; an integer
// float32 cannot hold exactly is an error), little-endian, C order.
// `where` names the file in errors.
NpyArray parse_npy(std::string_view bytes, const std::string& where);

// Reads a .npy file (see parse_npy).
NpyArray load_npy(const std::filesystem::path& path);

// Reads a one-dimensional .npy array of indices (whole numbers from 0), e.g. the columns numpy.argsort
// chose; anything else is an error naming the file and the value.
std::vector<std::size_t> load_npy_indices(const std::filesystem::path& path);

// Saves `values` (row-major, as many as the shape's product) with the given shape.
void save_npy(const std::filesystem::path& path, std::span<const float> values,
                     std::initializer_list<std::size_t> shape);

void save_npy(const std::filesystem::path& path, std::span<const std::uint8_t> values,
              std::initializer_list<std::size_t> shape);

// Saves a matrix view (a kernel, a layer's outputs for a batch) as a rows x cols array, padding dropped.
void save_npy(const std::filesystem::path& path, MatrixView<const float> matrix);

}  // namespace ctnn::io
