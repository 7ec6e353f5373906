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
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
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
#include "byte_order.hpp"
#include "file_bytes.hpp"

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
inline std::vector<std::size_t> keras_shape(const layers::Tensor& tensor) {
  if (tensor.window_height > 0) {
    const std::size_t window = tensor.window_height * tensor.window_width;
    return {tensor.window_height, tensor.window_width, tensor.rows / window, tensor.columns};
  }
  if (tensor.rows == 1) return {tensor.columns};
  return {tensor.rows, tensor.columns};
}

// A shape as Python writes it: "(784, 400)", "(400,)".
inline std::string shape_text(const std::vector<std::size_t>& shape) {
  std::string text = "(";
  for (std::size_t d = 0; d < shape.size(); ++d) text.append(d ? ", " : "").append(std::to_string(shape[d]));
  return text + (shape.size() == 1 ? ",)" : ")");
}

namespace detail {

// Walks a file's bytes; running past the end is reported as a truncated file.
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

 private:
  std::string_view bytes_;
  std::string path_;
  std::size_t position_ = 0;
};

}  // namespace detail

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
inline std::string model_file_bytes(const ModelFile& file) {
  static_assert(std::numeric_limits<float>::is_iec559, "model files store IEEE 754 floats");
  std::string bytes(model_file_magic);
  bytes.reserve(64 + file.architecture.size() + 64 * file.tensors.size() + 4 * file.parameters.size());
  detail::append_little_endian(bytes, model_format_version);
  detail::append_little_endian(bytes, fingerprint_of(file.architecture));
  detail::append_little_endian(bytes, std::uint32_t(file.architecture.size()));
  bytes.append(file.architecture);
  detail::append_little_endian(bytes, std::uint32_t(file.tensors.size()));
  for (const FileTensor& tensor : file.tensors) {
    detail::append_little_endian(bytes, std::uint32_t(tensor.name.size()));
    bytes.append(tensor.name);
    detail::append_little_endian(bytes, float32_element);
    detail::append_little_endian(bytes, std::uint32_t(tensor.shape.size()));
    for (const std::size_t extent : tensor.shape) detail::append_little_endian(bytes, std::uint64_t(extent));
  }
  detail::append_little_endian(bytes, std::uint64_t(file.parameters.size()));
  for (const float value : file.parameters) detail::append_little_endian(bytes, std::bit_cast<std::uint32_t>(value));
  detail::append_little_endian(bytes, detail::crc32_of(bytes.data(), bytes.size()));
  return bytes;
}

// Writes the model to `path` atomically.
template <TensorModel M>
void save(const M& model, const std::filesystem::path& path) {
  const std::string bytes = model_file_bytes(snapshot(model));
  write_atomically(path, [&](std::FILE* file) { return std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size(); });
}

namespace detail {

// Version 2's tensor directory, each entry checked against what the rest of the file can hold.
inline std::vector<FileTensor> read_tensor_directory(ByteReader& reader, const std::string& name) {
  const auto count = reader.integer<std::uint32_t>("tensor count");
  if (count > reader.remaining() / 16)  // the smallest entry: an empty name, element type, rank 0
    throw Error(name + ": truncated: the header announces " + std::to_string(count) + " tensors but the file has " +
                std::to_string(reader.remaining()) + " bytes left");
  std::vector<FileTensor> tensors(count);
  std::size_t total = 0;
  for (std::size_t t = 0; t < count; ++t) {
    FileTensor& tensor = tensors[t];
    const std::string which = "tensor " + std::to_string(t);
    const auto length = reader.integer<std::uint32_t>("tensor directory");
    if (length == 0 || length > max_tensor_name)
      throw Error(name + ": corrupted: " + which + " has a name of " + std::to_string(length) + " bytes (1 to " +
                  std::to_string(max_tensor_name) + " allowed)");
    tensor.name = reader.take(length, "tensor directory");
    if (const auto element = reader.integer<std::uint32_t>("tensor directory"); element != float32_element)
      throw Error(name + ": tensor \"" + tensor.name + "\" has element type " + std::to_string(element) +
                  ", which is not supported (only 1, float32)");
    const auto rank = reader.integer<std::uint32_t>("tensor directory");
    if (rank == 0 || rank > max_tensor_rank)
      throw Error(name + ": corrupted: tensor \"" + tensor.name + "\" has rank " + std::to_string(rank) + " (1 to " +
                  std::to_string(max_tensor_rank) + " allowed)");
    std::size_t elements = 1;
    for (std::uint32_t d = 0; d < rank; ++d) {
      const auto extent = reader.integer<std::uint64_t>("tensor directory");
      // No tensor can hold more values than the file has bytes: this bounds every product.
      if (extent == 0 || extent > reader.remaining() / 4 || elements > reader.remaining() / 4 / extent)
        throw Error(name + ": truncated or corrupted: tensor \"" + tensor.name + "\" has an extent of " +
                    std::to_string(extent) + ", more values than the rest of the file (" +
                    std::to_string(reader.remaining()) + " bytes) holds");
      tensor.shape.push_back(std::size_t(extent));
      elements *= std::size_t(extent);
    }
    tensor.offset = total;
    total += elements;
  }
  return tensors;
}

}  // namespace detail

// Reads and checks a model file without knowing its architecture: magic, version, element
// type, length and checksum. Every problem is an Error naming the file and what is wrong.
inline ModelFile read_model_file(const std::filesystem::path& path) {
  const std::string bytes = read_file_bytes(path, "model file");
  const std::string name = path.string();
  detail::ByteReader reader(bytes, name);
  const std::size_t magic_bytes = std::min(bytes.size(), model_file_magic.size());
  if (bytes.empty() || std::memcmp(bytes.data(), model_file_magic.data(), magic_bytes) != 0)
    throw Error(name + ": not a ctnn model file (it does not start with \"CTNNMODL\")");
  reader.take(model_file_magic.size(), "magic number");
  ModelFile file;
  file.version = reader.integer<std::uint32_t>("format version");
  if (file.version > model_format_version)
    throw Error(name + ": written in model format version " + std::to_string(file.version) +
                ", newer than this build of ctnn reads (up to version " + std::to_string(model_format_version) +
                "); update ctnn");
  if (file.version == 0) throw Error(name + ": corrupted: format version 0 does not exist");
  if (file.version == 1)
    if (const auto element = reader.integer<std::uint32_t>("element type"); element != float32_element)
      throw Error(name + ": element type " + std::to_string(element) + " is not supported (only 1, float32)");
  file.fingerprint = reader.integer<std::uint64_t>("architecture fingerprint");
  const auto text_length = reader.integer<std::uint32_t>("architecture length");
  file.architecture = reader.take(text_length, "architecture text");
  if (file.version >= 2) file.tensors = detail::read_tensor_directory(reader, name);
  const auto count = reader.integer<std::uint64_t>("parameter count");
  const std::size_t directory_total = file.tensors.empty() ? 0 : file.tensors.back().offset + file.tensors.back().elements();
  if (file.version >= 2 && count != directory_total)
    throw Error(name + ": corrupted: the header announces " + std::to_string(count) + " parameters but its tensors hold " +
                std::to_string(directory_total));
  if (count > (reader.remaining()) / 4)
    throw Error(name + ": truncated: the header announces " + std::to_string(count) + " parameters (" +
                std::to_string(reader.position() + 4 * count + 4) + " bytes in all) but the file has " +
                std::to_string(bytes.size()) + " bytes");
  const std::string_view values = reader.take(4 * count, "parameters");
  const std::size_t checked_bytes = reader.position();
  const auto checksum = reader.integer<std::uint32_t>("checksum");
  if (reader.remaining() != 0)
    throw Error(name + ": corrupted: " + std::to_string(reader.remaining()) + " unexpected bytes after the checksum");
  if (checksum != detail::crc32_of(bytes.data(), checked_bytes))
    throw Error(name + ": corrupted: the checksum does not match the contents (the file was damaged after it was written)");
  if (file.fingerprint != fingerprint_of(file.architecture))
    throw Error(name + ": corrupted: the architecture fingerprint does not match the architecture text");
  file.parameters.resize(count);
  detail::ByteReader value_reader(values, name);
  for (float& value : file.parameters) value = std::bit_cast<float>(value_reader.integer<std::uint32_t>("parameters"));
  return file;
}

// Copies a checked file's parameters into a model of the same architecture. A version-2 file's
// tensors are matched by name and shape; nothing in the model changes unless all match.
template <TensorModel M>
void assign_parameters(M& model, const ModelFile& file, const std::filesystem::path& path) {
  const std::string expected = model.architecture();
  if (file.fingerprint != fingerprint_of(expected))
    throw Error(path.string() + ": holds a model of another architecture\n  in the file: " + file.architecture +
                "\n  expected:    " + expected);
  const auto named = layers::named_tensors(model);
  std::size_t expected_count = 0;
  for (const auto& [name, at] : named) expected_count += model.tensors(at.layer)[at.tensor].elements();
  if (file.parameters.size() != expected_count)
    throw Error(path.string() + ": corrupted: " + std::to_string(file.parameters.size()) + " parameters where " +
                file.architecture + " has " + std::to_string(expected_count));
  std::vector<std::size_t> source(named.size());  // where each of the model's tensors starts in the file
  if (file.tensors.empty()) {  // version 1: in the model's order
    for (std::size_t t = 1; t < named.size(); ++t)
      source[t] = source[t - 1] + model.tensors(named[t - 1].second.layer)[named[t - 1].second.tensor].elements();
  } else {
    if (file.tensors.size() != named.size())
      throw Error(path.string() + ": holds " + std::to_string(file.tensors.size()) + " tensors where " + file.architecture +
                  " has " + std::to_string(named.size()));
    for (std::size_t t = 0; t < named.size(); ++t) {
      const auto& [name, at] = named[t];
      const auto found = std::ranges::find(file.tensors, name, &FileTensor::name);
      if (found == file.tensors.end())
        throw Error(path.string() + ": has no tensor \"" + name + "\" (" + file.architecture + " needs it)");
      const std::vector<std::size_t> shape = keras_shape(model.tensors(at.layer)[at.tensor]);
      if (found->shape != shape)
        throw Error(path.string() + ": tensor \"" + name + "\" has shape " + shape_text(found->shape) + " where " +
                    file.architecture + " needs " + shape_text(shape));
      source[t] = found->offset;
    }
  }
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
