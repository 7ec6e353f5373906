// Model files: a trained network's parameters, checked against the architecture they belong to.
//
// Format version 2 (written); every integer and float little-endian, whatever the machine:
//   bytes  field
//   8      magic "CTNNMODL"
//   4      format version, uint32: 2
//   8      architecture fingerprint, uint64 (dsl/architecture.hpp: FNV-1a of the text below)
//   4      length n of the architecture text, uint32
//   n      architecture text: the layers' architecture tokens, e.g. "784-400:relu-20:relu-10:softmax"
//   4      tensor count t, uint32
//   t x    the tensor directory, in the network's order (layers/tensor_names.hpp):
//     4      length m of the name, uint32;  m  the name as Keras gives it, e.g. "dense_1/kernel"
//     4      element type, uint32: 1 = float32 (IEEE 754 binary32)
//     4      rank r, uint32 (1 to 4);  8r  the extents, uint64 each, as Keras shapes the weight
//   8      parameter count p, uint64: the sum of the tensors' elements
//   4p     the tensors' values one after the other, each row-major
//   4      CRC-32 (zlib's) of every byte before it
// Version 1 (read): magic, version 1, element type (uint32, 1), fingerprint, architecture text,
// p, the 4p values in the same order with no directory, CRC-32.
// Files are written atomically (io/atomic_file.hpp): a killed writer leaves the old file or the new.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "../codegen/matrix_view.hpp"
#include "../dsl/architecture.hpp"
#include "../error.hpp"
#include "../layers/protocol.hpp"
#include "../layers/tensor_names.hpp"
#include "atomic_file.hpp"

namespace ctnn::io {

inline constexpr std::string_view model_file_magic = "CTNNMODL";
inline constexpr std::uint32_t model_format_version = 2;
inline constexpr std::uint32_t float32_element = 1;
inline constexpr std::size_t max_tensor_rank = 4;
inline constexpr std::size_t max_tensor_name = 1024;

// What files need of a backend: its layers' tensors, as Model<Net> and engine::Network give them.
template <class M>
concept TensorModel = requires(M& model, const M& const_model, std::size_t i, std::size_t k) {
  { const_model.layer_count() } -> std::convertible_to<std::size_t>;
  { const_model.keras_type(i) } -> std::convertible_to<std::string_view>;
  { const_model.tensors(i) } -> std::convertible_to<const layers::Tensors&>;
  { const_model.architecture() } -> std::convertible_to<std::string>;
  { model.tensor(i, k) } -> std::same_as<MatrixView<float>>;
  { const_model.tensor(i, k) } -> std::same_as<MatrixView<const float>>;
};

// One entry of a file's tensor directory.
struct FileTensor {
  std::string name;
  std::vector<std::size_t> shape;
  std::size_t offset = 0;  // where its values start in ModelFile::parameters

  std::size_t elements() const {
    std::size_t count = 1;
    for (const std::size_t extent : shape) count *= extent;
    return count;
  }
};

// The parsed file: what it says about itself, and the parameters in file order (the tensors one
// after the other). A version-1 file has no directory: `tensors` is empty.
struct ModelFile {
  std::uint32_t version = 0;
  std::uint64_t fingerprint = 0;
  std::string architecture;
  std::vector<FileTensor> tensors;
  std::vector<float> parameters;
};

// A tensor's shape as Keras gives the weight: (columns) for a vector, (rows, columns) for a
// kernel, (height, width, in, out) for a convolution's kernel.
std::vector<std::size_t> keras_shape(const layers::Tensor& tensor);

// A shape as Python writes it: "(784, 400)", "(400,)".
std::string shape_text(const std::vector<std::size_t>& shape);

// A model's architecture and parameters as a model file holds them.
template <TensorModel M>
ModelFile snapshot(const M& model) {
  ModelFile file{model_format_version, 0, model.architecture(), {}, {}};
  file.fingerprint = fingerprint_of(file.architecture);
  for (const auto& [name, at] : layers::named_tensors(model)) {
    const MatrixView<const float> values = model.tensor(at.layer, at.tensor);
    file.tensors.push_back({name, keras_shape(model.tensors(at.layer)[at.tensor]), file.parameters.size()});
    for (std::size_t r = 0; r < values.rows; ++r) file.parameters.insert(file.parameters.end(), &values(r, 0), &values(r, 0) + values.cols);
  }
  return file;
}

// The bytes of a model file in the current format (above).
std::string model_file_bytes(const ModelFile& file);

// Writes the model to `path` atomically.
template <TensorModel M>
void save(const M& model, const std::filesystem::path& path) {
  const std::string bytes = model_file_bytes(snapshot(model));
  write_file_atomically(path, bytes);
}

// Reads and checks a model file without knowing its architecture: magic, version, element
// type, length and checksum. Every problem is an Error naming the file and what is wrong.
ModelFile read_model_file(const std::filesystem::path& path);

// The same checks on a model file's bytes held in memory (embedded in another file); `name` names
// them in errors.
ModelFile parse_model_file(std::string_view bytes, const std::string& name);

namespace detail {

// A tensor a model expects in a file: its name and Keras's shape.
struct ExpectedTensor {
  std::string name;
  std::vector<std::size_t> shape;
};

// Where each expected tensor starts in the file's parameters, once the file is known to hold a model
// of `architecture` with exactly these tensors (by name and shape; a version-1 file, by count).
std::vector<std::size_t> tensor_offsets(const ModelFile& file, std::span<const ExpectedTensor> expected,
                                        const std::string& architecture, const std::filesystem::path& path);

}  // namespace detail

// Copies a checked file's parameters into a model of the same architecture. A version-2 file's
// tensors are matched by name and shape; nothing in the model changes unless all match.
template <TensorModel M>
void assign_parameters(M& model, const ModelFile& file, const std::filesystem::path& path) {
  const auto named = layers::named_tensors(model);
  std::vector<detail::ExpectedTensor> expected;
  expected.reserve(named.size());
  for (const auto& [name, at] : named) expected.push_back({name, keras_shape(model.tensors(at.layer)[at.tensor])});
  const std::vector<std::size_t> source = detail::tensor_offsets(file, expected, model.architecture(), path);
  for (std::size_t t = 0; t < named.size(); ++t) {
    const MatrixView<float> values = model.tensor(named[t].second.layer, named[t].second.tensor);
    const float* next = file.parameters.data() + source[t];
    for (std::size_t r = 0; r < values.rows; ++r, next += values.cols) std::copy_n(next, values.cols, &values(r, 0));
  }
}

// Replaces the model's parameters with those in `path`, which must hold the same architecture.
template <TensorModel M>
void load_into(M& model, const std::filesystem::path& path) {
  assign_parameters(model, read_model_file(path), path);
}

}  // namespace ctnn::io
