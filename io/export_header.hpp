// Export of a trained model to one self-contained C++ header: the inference code and the weights
// as alignas(64) constant arrays, for embedding a fixed model in another program with no file to
// read, no framework and no allocation.
//
// The header needs only the C++20 standard library and xsimd. Its kernels are ctnn's own
// (codegen/simd.inc, codegen/inference_kernels.inc, codegen/image_kernels.inc,
// dsl/architecture.inc, copied word for word), and each layer kind writes the statements that call
// them (exported_inference, layers/exported_code.hpp), so name::predict gives bit for bit what
// Model<Net>::predict gives for the same weights. Weights are written as hexadecimal float
// literals: every bit survives. The header checks at compile time that its architecture text and
// fingerprint agree, and offers name::expect_architecture<Net>() to check that a ctnn Net type has
// its architecture.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "model_file.hpp"

namespace ctnn::io {

struct ExportOptions {
  std::vector<std::string> class_names;  // one per output, or none for "0", "1", ...
  std::string source;                    // what the header says it was exported from
};

// The text of the header for a model file's contents (see read_model_file and snapshot).
std::string exported_header(const ModelFile& file, std::string_view name, const ExportOptions& options = {});

// Writes the header for a model file's contents to `path`, atomically.
void export_header(const ModelFile& file, const std::filesystem::path& path, std::string_view name,
                   const ExportOptions& options = {});

// Writes the header for a model of either backend.
template <TensorModel M>
void export_header(const M& model, const std::filesystem::path& path, std::string_view name, const ExportOptions& options = {}) {
  export_header(snapshot(model), path, name, options);
}

}  // namespace ctnn::io
