// Export of a trained model to one self-contained C++ header: the inference code and the weights
// as alignas(64) constant arrays, for embedding a fixed model in another program with no file to
// read, no framework and no allocation.
//
// The header needs only the C++20 standard library and xsimd. Its kernels are ctnn's own
// (codegen/simd.inc, codegen/inference_kernels.inc, dsl/architecture.inc, copied word for word), so
// name::predict gives bit for bit what Model<Net>::predict gives for the same weights. Weights are
// written as hexadecimal float literals: every bit survives. The header checks at compile time
// that its layer table, architecture text and fingerprint agree, and offers
// name::expect_architecture<Net>() to check that a ctnn Net type has its architecture.
#pragma once

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <ctnn/exported_sources.hpp>

#include "../engine/parse_spec.hpp"
#include "../error.hpp"
#include "idx.hpp"
#include "atomic_file.hpp"
#include "model_file.hpp"

namespace ctnn::io {

struct ExportOptions {
  std::vector<std::string> class_names;  // one per output, or none for "0", "1", ...
  std::string source;                    // what the header says it was exported from
};

namespace detail {

// Exported weights are padded to 16 floats per row: whole vectors for every target up to AVX-512.
inline constexpr std::size_t exported_row_floats = 16;
constexpr std::size_t pad_exported(std::size_t n) { return (n + exported_row_floats - 1) / exported_row_floats * exported_row_floats; }

inline void check_identifier(std::string_view name) {
  static constexpr std::string_view keywords[] = {
      "alignas", "alignof", "and", "asm", "auto", "bool", "break", "case", "catch", "char", "class", "const", "constexpr",
      "continue", "default", "delete", "do", "double", "else", "enum", "explicit", "export", "extern", "false", "float",
      "for", "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not", "nullptr",
      "operator", "or", "private", "protected", "public", "register", "return", "short", "signed", "sizeof", "static",
      "struct", "switch", "template", "this", "throw", "true", "try", "typedef", "typename", "union", "unsigned", "using",
      "virtual", "void", "volatile", "while", "xor", "std", "xsimd", "ctnn"};
  const bool valid = !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
                     std::ranges::all_of(name, [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }) &&
                     !name.starts_with("__") && std::ranges::find(keywords, name) == std::end(keywords);
  if (!valid)
    throw Error("export_header: the name \"" + std::string(name) +
                "\" must be a C++ identifier (letters, digits, _; not a keyword, not std/xsimd/ctnn): it becomes the "
                "header's namespace");
}

inline std::string string_literal(std::string_view text) {
  std::string literal = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') literal.append("\\").push_back(c);
    else if (std::isprint(static_cast<unsigned char>(c))) literal.push_back(c);
    else {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\%03o", unsigned(static_cast<unsigned char>(c)));
      literal.append(escaped);
    }
  }
  return literal + "\"";
}

// Exact: "%a" prints every bit of the float's value.
inline std::string hex_float(float value) {
  char text[32];
  std::snprintf(text, sizeof text, "%af", double(value));
  return text;
}

inline void append_array(std::string& out, std::string_view name, const std::vector<float>& values,
                         std::string_view size_expression) {
  out.append("alignas(64) inline constexpr float ").append(name).append("[] = {");
  for (std::size_t i = 0; i < values.size(); ++i) {
    out.append(i % 6 == 0 ? "\n    " : " ").append(hex_float(values[i])).append(",");
  }
  out.append("\n};\nstatic_assert(std::size(").append(name).append(") == ").append(size_expression).append(");\n");
}

inline std::string activation_function(engine::ActivationKind kind) {
  switch (kind) {
    case engine::ActivationKind::relu: return "relu_forward";
    case engine::ActivationKind::sigmoid: return "sigmoid_forward";
    case engine::ActivationKind::tanh: return "tanh_forward";
    case engine::ActivationKind::linear:
    case engine::ActivationKind::softmax: break;  // softmax: the product adds the bias, softmax_row follows
  }
  return "linear_forward";
}

inline std::string number(std::size_t n) { return std::to_string(n); }

// A layer of an exported header: a Dense layer and whether a BatchNorm follows it.
struct ExportedLayer {
  std::size_t inputs = 0, outputs = 0;
  engine::ActivationKind activation = engine::ActivationKind::relu;
  bool batch_norm = false;
};

// The layers a header holds: Dense layers, each optionally followed by a BatchNorm, Dropouts left
// out (they do nothing in inference).
inline std::vector<ExportedLayer> exported_layers(const engine::NetworkSpec& spec, const std::string& architecture) {
  std::vector<ExportedLayer> exported;
  Shape shape = spec.input;
  for (std::size_t i = 0; i < spec.layers.size(); ++i) {
    const engine::LayerNode& layer = *spec.layers[i];
    const std::string_view type = layer.keras_type();
    if (const auto* dense = layer.as<layers::Dense>()) {
      exported.push_back({shape.elements(), dense->units, dense->activation});
    } else if (type == "BatchNormalization" && i > 0 && spec.layers[i - 1]->as<layers::Dense>()) {
      exported.back().batch_norm = true;
    } else if (type != "Dropout") {
      throw Error("export_header: " + architecture + ": layer " + number(i) + " (" + std::string(type) +
                  ") cannot be exported yet; headers hold Dense layers, each optionally followed by BatchNorm and Dropout");
    }
    shape = spec.output_shape(i);
  }
  return exported;
}

}  // namespace detail

// The text of the header for a model file's contents (see read_model_file and snapshot).
inline std::string exported_header(const ModelFile& file, std::string_view name, const ExportOptions& options = {}) {
  using detail::number;
  detail::check_identifier(name);
  const engine::NetworkSpec spec = engine::parse_spec(file.architecture);
  const std::vector<detail::ExportedLayer> layers = detail::exported_layers(spec, file.architecture);
  if (file.parameters.size() != spec.param_count())
    throw Error("export_header: " + number(file.parameters.size()) + " parameters given for " + file.architecture +
                ", which has " + number(spec.param_count()));
  for (std::size_t p = 0; p < file.parameters.size(); ++p)
    if (!std::isfinite(file.parameters[p]))
      throw Error("export_header: parameter " + number(p) + " of " + file.architecture + " is " +
                  (std::isnan(file.parameters[p]) ? "NaN" : "infinite") + ": the model diverged and cannot be exported");
  const std::size_t outputs = spec.output_size();
  std::vector<std::string> class_names = options.class_names;
  if (class_names.empty())
    for (std::size_t c = 0; c < outputs; ++c) class_names.push_back(number(c));
  if (class_names.size() != outputs)
    throw Error("export_header: " + number(class_names.size()) + " class names given for " + number(outputs) + " outputs");

  const std::string ns(name);
  char fingerprint[32];
  std::snprintf(fingerprint, sizeof fingerprint, "0x%016llxu", static_cast<unsigned long long>(file.fingerprint));
  std::string out;
  out.reserve(64 * 1024 + 20 * file.parameters.size());
  out.append("// ").append(ns).append(": a trained model exported by ctnn")
      .append(options.source.empty() ? std::string() : std::string(" from ").append(options.source))
      .append(". Do not edit: regenerate it with ctnn-export.\n//\n// Architecture ").append(file.architecture)
      .append(", ").append(number(file.parameters.size())).append(" parameters, fingerprint ").append(fingerprint).append(".\n");
  // Text with NAME standing for the namespace.
  const auto named = [&ns](std::string text) {
    for (std::size_t at = text.find("NAME"); at != std::string::npos; at = text.find("NAME", at + ns.size())) text.replace(at, 4, ns);
    return text;
  };
  out.append(named(R"(// Needs only the C++20 standard library and xsimd 8 (header-only; Debian: libxsimd-dev). The code is
// vectorised for the instruction set the including program is compiled for (-march=...). Compiled
// with -ffp-contract=off (as ctnn compiles; ctnn_embed_model adds it) and the same -march, it gives
// bit for bit the numbers of the ctnn model it came from.
//
//   float probabilities[NAME::outputs];
//   NAME::predict(input, probabilities);             // input: NAME::inputs floats
//   std::size_t c = NAME::classify(pixels);          // pixels: NAME::inputs bytes, 0-255, scaled by 1/255
//   std::puts(NAME::class_names[c]);
//
// Both use the stack only: no heap allocation, safe to call from any number of threads at once.
// NAME::expect_architecture<Net>() fails to compile unless the ctnn::Net type Net has this architecture.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <type_traits>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <xsimd/xsimd.hpp>
#pragma GCC diagnostic pop
#pragma push_macro("CTNN_UNROLL")
#undef CTNN_UNROLL

namespace NAME {
namespace detail {
)"));
  for (const auto& [source, text] : exported_sources)
    out.append("\n// ---- ctnn ").append(source).append(" ----\n").append(text);
  out.append(R"(
// ---- one dense layer, y = activation(x W + b), as Model<Net>::predict computes it ----
template <std::size_t Inputs, std::size_t Outputs, std::size_t RowFloats, class Activation>
inline void dense(const float* x, const float* kernel, const float* bias, float* y, Activation activation) {
  auto epilogue = [&](std::size_t, std::size_t c, floats sum) {
    activation(sum + floats::load_aligned(bias + c)).store_aligned(y + c);
  };
  gemv_fixed_columns<padded(Outputs)>(std::integral_constant<std::size_t, Inputs>{},
                                      std::integral_constant<std::size_t, RowFloats>{}, x, kernel, epilogue);
}

}  // namespace detail
)");
  out.append("\ninline constexpr std::string_view architecture = ").append(detail::string_literal(file.architecture)).append(";\n");
  out.append("inline constexpr std::uint64_t fingerprint = ").append(fingerprint).append(";\n");
  out.append("inline constexpr std::size_t inputs = ").append(number(spec.input_size())).append(", outputs = ")
      .append(number(outputs)).append(";\n");
  out.append("inline constexpr std::array<const char*, outputs> class_names{");
  for (std::size_t c = 0; c < outputs; ++c) out.append(c ? ", " : "").append(detail::string_literal(class_names[c]));
  out.append("};\n\n");
  out.append("// Fails to compile unless the ctnn::Net type Net has the architecture these weights were trained for.\n"
             "template <class Net>\nconstexpr void expect_architecture() {\n  static_assert(Net::fingerprint == fingerprint,\n"
             "                \"")
      .append(ns).append(": the weights in this header were exported for the architecture ").append(file.architecture)
      .append(", and the Net type given has another (compare Net::architecture())\");\n}\n\nnamespace detail {\n\n");

  out.append("inline constexpr LayerArchitecture layers[] = {");
  for (std::size_t l = 0; l < layers.size(); ++l)
    out.append(l ? ", " : "").append("{").append(number(layers[l].outputs)).append(", \"")
        .append(engine::spec_name(layers[l].activation)).append(layers[l].batch_norm ? "\", true}" : "\"}");
  out.append("};\nstatic_assert(architecture_text(inputs, layers) == architecture && fingerprint_of(architecture) == fingerprint,\n"
             "              \"")
      .append(ns).append(": the layer table, the architecture and the fingerprint disagree: this header was edited; regenerate it\");\n\n");
  out.append("// Layer by layer: the kernel (inputs x outputs, rows padded with zeros to a multiple of 16 floats), then the bias,\n"
             "// then for a batch-normalised layer gamma, beta, moving mean and moving variance (rows padded alike).\n");
  const float* next = file.parameters.data();
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const detail::ExportedLayer& layer = layers[l];
    const std::size_t row = detail::pad_exported(layer.outputs);
    std::vector<float> kernel(layer.inputs * row, 0.0f), bias(row, 0.0f);
    for (std::size_t i = 0; i < layer.inputs; ++i, next += layer.outputs) std::copy_n(next, layer.outputs, &kernel[i * row]);
    std::copy_n(next, layer.outputs, bias.data());
    next += layer.outputs;
    detail::append_array(out, "kernel_" + number(l), kernel, number(layer.inputs) + " * " + number(row));
    detail::append_array(out, "bias_" + number(l), bias, number(row));
    if (layer.batch_norm) {
      std::vector<float> batch_norm(4 * row, 0.0f);
      for (std::size_t r = 0; r < 4; ++r, next += layer.outputs) std::copy_n(next, layer.outputs, &batch_norm[r * row]);
      detail::append_array(out, "batch_norm_" + number(l), batch_norm, "4 * " + number(row));
    }
  }
  out.append("\n}  // namespace detail\n\n");

  out.append("// Class probabilities (or the last layer's outputs) of one input of `inputs` floats.\n"
             "inline void predict(const float* input, float* out) {\n");
  for (std::size_t l = 0; l < layers.size(); ++l)
    out.append("  alignas(64) float layer_").append(number(l)).append("[").append(number(detail::pad_exported(layers[l].outputs)))
        .append("];\n");
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const detail::ExportedLayer& layer = layers[l];
    const std::string index = number(l);
    out.append("  detail::dense<").append(number(layer.inputs)).append(", ").append(number(layer.outputs)).append(", ")
        .append(number(detail::pad_exported(layer.outputs))).append(">(")
        .append(l == 0 ? std::string("input") : "layer_" + number(l - 1)).append(", detail::kernel_").append(index)
        .append(", detail::bias_").append(index).append(", layer_").append(index).append(", [](detail::floats z) { return detail::")
        .append(detail::activation_function(layer.activation)).append("(z); });\n");
    if (layer.batch_norm)
      out.append("  detail::batch_norm_rows(std::integral_constant<std::size_t, ").append(number(detail::pad_exported(layer.outputs)))
          .append(">{}, detail::batch_norm_").append(index).append(", ").append(detail::hex_float(batch_norm_epsilon))
          .append(", layer_").append(index).append(", 1);\n");
  }
  const std::string last = "layer_" + number(layers.size() - 1);
  if (layers.back().activation == engine::ActivationKind::softmax)
    out.append("  detail::softmax_row(std::integral_constant<std::size_t, outputs>{}, std::integral_constant<std::size_t, detail::padded(outputs)>{}, ")
        .append(last).append(");\n");
  out.append("  std::copy_n(").append(last).append(", outputs, out);\n}\n\n");
  out.append(named(R"(// The most probable class of an image of `inputs` bytes (0-255, scaled by 1/255 as ctnn's IDX
// reader does); its probability goes to *probability when given.
inline std::size_t classify(const std::uint8_t* pixels, float* probability = nullptr) {
  float input[inputs], out[outputs];
  for (std::size_t i = 0; i < inputs; ++i) input[i] = float(pixels[i]) / 255.0f;
  predict(input, out);
  const std::size_t best = std::size_t(std::max_element(out, out + outputs) - out);
  if (probability) *probability = out[best];
  return best;
}

}  // namespace NAME

#pragma pop_macro("CTNN_UNROLL")
)"));
  return out;
}

// Writes the header for a model file's contents to `path`, atomically.
inline void export_header(const ModelFile& file, const std::filesystem::path& path, std::string_view name,
                          const ExportOptions& options = {}) {
  const std::string text = exported_header(file, name, options);
  write_atomically(path, [&](std::FILE* out) { return std::fwrite(text.data(), 1, text.size(), out) == text.size(); });
}

// Writes the header for a model of either backend.
template <TensorModel M>
void export_header(const M& model, const std::filesystem::path& path, std::string_view name, const ExportOptions& options = {}) {
  export_header(snapshot(model), path, name, options);
}

}  // namespace ctnn::io
