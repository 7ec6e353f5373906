#include "model_file.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <utility>

#include "atomic_file.hpp"
#include "byte_order.hpp"
#include "byte_reader.hpp"
#include "file_bytes.hpp"

namespace ctnn::io {

namespace {

using detail::ByteReader;

// Version 2's tensor directory, each entry checked against what the rest of the file can hold.
std::vector<FileTensor> read_tensor_directory(ByteReader& reader, const std::string& name) {
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

}  // namespace

std::vector<std::size_t> keras_shape(const layers::Tensor& tensor) {
  if (tensor.window_height > 0) {
    const std::size_t window = tensor.window_height * tensor.window_width;
    return {tensor.window_height, tensor.window_width, tensor.rows / window, tensor.columns};
  }
  if (tensor.rows == 1) return {tensor.columns};
  return {tensor.rows, tensor.columns};
}

std::string shape_text(const std::vector<std::size_t>& shape) {
  std::string text = "(";
  for (std::size_t d = 0; d < shape.size(); ++d) text.append(d ? ", " : "").append(std::to_string(shape[d]));
  return text + (shape.size() == 1 ? ",)" : ")");
}

std::string model_file_bytes(const ModelFile& file) {
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

ModelFile read_model_file(const std::filesystem::path& path) {
  return parse_model_file(read_file_bytes(path, "model file"), path.string());
}

ModelFile parse_model_file(std::string_view bytes, const std::string& name) {
  ByteReader reader(bytes, name);
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
  if (file.version >= 2) file.tensors = read_tensor_directory(reader, name);
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
  ByteReader value_reader(values, name);
  for (float& value : file.parameters) value = std::bit_cast<float>(value_reader.integer<std::uint32_t>("parameters"));
  return file;
}

std::vector<std::size_t> detail::tensor_offsets(const ModelFile& file, std::span<const ExpectedTensor> expected,
                                                const std::string& architecture, const std::filesystem::path& path) {
  if (file.fingerprint != fingerprint_of(architecture))
    throw Error(path.string() + ": holds a model of another architecture\n  in the file: " + file.architecture +
                "\n  expected:    " + architecture);
  const auto elements = [](const std::vector<std::size_t>& shape) {
    std::size_t count = 1;
    for (const std::size_t extent : shape) count *= extent;
    return count;
  };
  std::size_t expected_count = 0;
  for (const ExpectedTensor& tensor : expected) expected_count += elements(tensor.shape);
  if (file.parameters.size() != expected_count)
    throw Error(path.string() + ": corrupted: " + std::to_string(file.parameters.size()) + " parameters where " +
                file.architecture + " has " + std::to_string(expected_count));
  std::vector<std::size_t> source(expected.size());
  if (file.tensors.empty()) {  // version 1: in the model's order
    for (std::size_t t = 1; t < expected.size(); ++t) source[t] = source[t - 1] + elements(expected[t - 1].shape);
    return source;
  }
  if (file.tensors.size() != expected.size())
    throw Error(path.string() + ": holds " + std::to_string(file.tensors.size()) + " tensors where " + file.architecture +
                " has " + std::to_string(expected.size()));
  for (std::size_t t = 0; t < expected.size(); ++t) {
    const auto found = std::ranges::find(file.tensors, expected[t].name, &FileTensor::name);
    if (found == file.tensors.end())
      throw Error(path.string() + ": has no tensor \"" + expected[t].name + "\" (" + file.architecture + " needs it)");
    if (found->shape != expected[t].shape)
      throw Error(path.string() + ": tensor \"" + expected[t].name + "\" has shape " + shape_text(found->shape) + " where " +
                  file.architecture + " needs " + shape_text(expected[t].shape));
    source[t] = found->offset;
  }
  return source;
}

}  // namespace ctnn::io
