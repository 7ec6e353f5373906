// Model files: a trained network's parameters, checked against the architecture they belong to.
//
// Format (version 1); every integer and float little-endian, whatever the machine:
//   bytes  field
//   8      magic "CTNNMODL"
//   4      format version, uint32
//   4      element type, uint32: 1 = float32 (IEEE 754 binary32)
//   8      architecture fingerprint, uint64 (dsl/architecture.hpp: FNV-1a of the text below)
//   4      length n of the architecture text, uint32
//   n      architecture text, e.g. "784-400:relu-20:relu-10:softmax"
//   8      parameter count p, uint64
//   4p     the parameters, layer by layer: kernel (inputs x outputs, row-major), then bias, then
//          for a layer with batch normalisation gamma, beta, moving mean and moving variance
//   4      CRC-32 (zlib's) of every byte before it
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

#include "../codegen/batch_norm_parameters.hpp"
#include "../codegen/matrix_view.hpp"
#include "../dsl/architecture.hpp"
#include "../error.hpp"
#include "atomic_file.hpp"
#include "byte_order.hpp"
#include "file_bytes.hpp"

namespace ctnn::io {

inline constexpr std::string_view model_file_magic = "CTNNMODL";
inline constexpr std::uint32_t model_format_version = 1;
inline constexpr std::uint32_t float32_element = 1;

// What a model file needs of a backend: Model<Net> and engine::Network both have it.
template <class M>
concept LayeredModel = requires(M& model, const M& const_model, std::size_t l) {
  { const_model.depth() } -> std::convertible_to<std::size_t>;
  { const_model.architecture() } -> std::convertible_to<std::string>;
  { model.kernel(l) } -> std::same_as<MatrixView<float>>;
  { model.bias(l) } -> std::same_as<std::span<float>>;
  { const_model.kernel(l) } -> std::same_as<MatrixView<const float>>;
  { const_model.bias(l) } -> std::same_as<std::span<const float>>;
  { model.batch_norm(l) } -> std::same_as<BatchNormParameters<float>>;
  { const_model.batch_norm(l) } -> std::same_as<BatchNormParameters<const float>>;
};

// The parsed file: what it says about itself, and the parameters in file order.
struct ModelFile {
  std::uint32_t version = 0;
  std::uint64_t fingerprint = 0;
  std::string architecture;
  std::vector<float> parameters;
};

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

template <LayeredModel M>
std::size_t parameter_count(const M& model) {
  std::size_t total = 0;
  for (std::size_t l = 0; l < model.depth(); ++l)
    total += model.kernel(l).size() + model.bias(l).size() + model.batch_norm(l).size();
  return total;
}

}  // namespace detail

// A model's architecture and parameters as a model file holds them.
template <LayeredModel M>
ModelFile snapshot(const M& model) {
  ModelFile file{model_format_version, 0, model.architecture(), {}};
  file.fingerprint = fingerprint_of(file.architecture);
  file.parameters.reserve(detail::parameter_count(model));
  for (std::size_t l = 0; l < model.depth(); ++l) {
    const MatrixView<const float> kernel = model.kernel(l);
    for (std::size_t i = 0; i < kernel.rows; ++i) file.parameters.insert(file.parameters.end(), &kernel(i, 0), &kernel(i, 0) + kernel.cols);
    file.parameters.insert(file.parameters.end(), model.bias(l).begin(), model.bias(l).end());
    if (const BatchNormParameters<const float> norm = model.batch_norm(l))
      for (std::size_t r = 0; r < norm.rows; ++r) file.parameters.insert(file.parameters.end(), norm.row(r).begin(), norm.row(r).end());
  }
  return file;
}

// The bytes of a model file: the format above.
inline std::string model_file_bytes(const ModelFile& file) {
  static_assert(std::numeric_limits<float>::is_iec559, "model files store IEEE 754 floats");
  std::string bytes(model_file_magic);
  bytes.reserve(64 + file.architecture.size() + 4 * file.parameters.size());
  detail::append_little_endian(bytes, model_format_version);
  detail::append_little_endian(bytes, float32_element);
  detail::append_little_endian(bytes, fingerprint_of(file.architecture));
  detail::append_little_endian(bytes, std::uint32_t(file.architecture.size()));
  bytes.append(file.architecture);
  detail::append_little_endian(bytes, std::uint64_t(file.parameters.size()));
  for (const float value : file.parameters) detail::append_little_endian(bytes, std::bit_cast<std::uint32_t>(value));
  detail::append_little_endian(bytes, detail::crc32_of(bytes.data(), bytes.size()));
  return bytes;
}

// Writes the model to `path` atomically.
template <LayeredModel M>
void save(const M& model, const std::filesystem::path& path) {
  const std::string bytes = model_file_bytes(snapshot(model));
  write_atomically(path, [&](std::FILE* file) { return std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size(); });
}

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
  if (const auto element = reader.integer<std::uint32_t>("element type"); element != float32_element)
    throw Error(name + ": element type " + std::to_string(element) + " is not supported (only 1, float32)");
  file.fingerprint = reader.integer<std::uint64_t>("architecture fingerprint");
  const auto text_length = reader.integer<std::uint32_t>("architecture length");
  file.architecture = reader.take(text_length, "architecture text");
  const auto count = reader.integer<std::uint64_t>("parameter count");
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

// Copies a checked file's parameters into a model of the same architecture.
template <LayeredModel M>
void assign_parameters(M& model, const ModelFile& file, const std::filesystem::path& path) {
  const std::string expected = model.architecture();
  if (file.fingerprint != fingerprint_of(expected))
    throw Error(path.string() + ": holds a model of another architecture\n  in the file: " + file.architecture +
                "\n  expected:    " + expected);
  if (file.parameters.size() != detail::parameter_count(model))
    throw Error(path.string() + ": corrupted: " + std::to_string(file.parameters.size()) + " parameters where " +
                file.architecture + " has " + std::to_string(detail::parameter_count(model)));
  const float* next = file.parameters.data();
  for (std::size_t l = 0; l < model.depth(); ++l) {
    const MatrixView<float> kernel = model.kernel(l);
    for (std::size_t i = 0; i < kernel.rows; ++i)
      for (std::size_t o = 0; o < kernel.cols; ++o) kernel(i, o) = *next++;
    for (float& b : model.bias(l)) b = *next++;
    if (const BatchNormParameters<float> norm = model.batch_norm(l))
      for (std::size_t r = 0; r < norm.rows; ++r)
        for (float& value : norm.row(r)) value = *next++;
  }
}

// Replaces the model's parameters with those in `path`, which must hold the same architecture.
template <LayeredModel M>
void load_into(M& model, const std::filesystem::path& path) {
  assign_parameters(model, read_model_file(path), path);
}

}  // namespace ctnn::io
