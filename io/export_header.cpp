#include "export_header.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include <ctnn/exported_sources.hpp>

#include "../engine/parse_spec.hpp"
#include "../error.hpp"
#include "../layers/exported_code.hpp"
#include "atomic_file.hpp"
#include "idx.hpp"

namespace ctnn::io {

namespace {

void check_identifier(std::string_view name) {
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

std::string string_literal(std::string_view text) {
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

void append_array(std::string& out, std::string_view name, const std::vector<float>& values,
                         std::string_view size_expression) {
  out.append("alignas(64) inline constexpr float ").append(name).append("[] = {");
  for (std::size_t i = 0; i < values.size(); ++i) {
    out.append(i % 6 == 0 ? "\n    " : " ").append(layers::exported_float(values[i])).append(",");
  }
  out.append("\n};\nstatic_assert(std::size(").append(name).append(") == ").append(size_expression).append(");\n");
}

std::string number(std::size_t n) { return std::to_string(n); }

// A layer of the header: a function of its own, layer_<index>(in, out), unless the layer is the
// identity in inference (Dropout, Flatten).
struct ExportedLayer {
  std::size_t index = 0;
  Shape input, output;
  bool in_place = false;
  std::vector<float> parameters;  // its tensors, rows padded to layers::exported_row_floats
};

// The layers that compute in inference, each with its parameters taken from the file's (tensors one
// after the other, rows unpadded) and padded as the header stores them.
std::vector<ExportedLayer> exported_layers(const engine::NetworkSpec& spec, const std::vector<float>& parameters) {
  std::vector<ExportedLayer> exported;
  const float* next = parameters.data();
  Shape shape = spec.input;
  for (std::size_t i = 0; i < spec.layers.size(); ++i) {
    const engine::LayerNode& layer = *spec.layers[i];
    const Shape output = spec.output_shape(i);
    const layers::LayerTraits traits = layer.traits();
    if (!traits.identity_in_inference) {
      ExportedLayer e{i, shape, output, traits.in_place_inference, {}};
      for (const layers::Tensor& tensor : layer.parameters(shape)) {
        const std::size_t row = layers::exported_padded(tensor.columns), first = e.parameters.size();
        e.parameters.resize(first + tensor.rows * row, 0.0f);
        for (std::size_t r = 0; r < tensor.rows; ++r, next += tensor.columns) std::copy_n(next, tensor.columns, &e.parameters[first + r * row]);
      }
      exported.push_back(std::move(e));
    } else {
      for (const layers::Tensor& tensor : layer.parameters(shape)) next += tensor.elements();
    }
    shape = output;
  }
  return exported;
}

}  // namespace

std::string exported_header(const ModelFile& file, std::string_view name, const ExportOptions& options) {
  check_identifier(name);
  const engine::NetworkSpec spec = engine::parse_spec(file.architecture);
  if (file.parameters.size() != spec.param_count())
    throw Error("export_header: " + number(file.parameters.size()) + " parameters given for " + file.architecture +
                ", which has " + number(spec.param_count()));
  for (std::size_t p = 0; p < file.parameters.size(); ++p)
    if (!std::isfinite(file.parameters[p]))
      throw Error("export_header: parameter " + number(p) + " of " + file.architecture + " is " +
                  (std::isnan(file.parameters[p]) ? "NaN" : "infinite") + ": the model diverged and cannot be exported");
  const std::vector<ExportedLayer> layers = exported_layers(spec, file.parameters);
  const std::size_t outputs = spec.output_size();
  std::vector<std::string> class_names = options.class_names;
  if (class_names.empty())
    for (std::size_t c = 0; c < outputs; ++c) class_names.push_back(number(c));
  if (class_names.size() != outputs)
    throw Error("export_header: " + number(class_names.size()) + " class names given for " + number(outputs) + " outputs");

  // Each layer's statements, asked of its kind before anything is written: a kind that cannot be
  // exported stops the export with its name and position.
  std::vector<std::string> bodies;
  for (const ExportedLayer& layer : layers) {
    const layers::ExportedIo io{"in", "out", layer.parameters.empty() ? "nullptr" : "parameters_" + number(layer.index)};
    try {
      bodies.push_back(spec.layers[layer.index]->exported_inference(layer.input, io));
    } catch (const Error& e) {
      throw Error("export_header: " + file.architecture + ": layer " + number(layer.index) + ": " + e.what());
    }
  }
  // Two buffers that the layers write in turn (an in-place layer writes over its input), each as
  // large as the largest output; the first layer reads the caller's input.
  std::size_t buffer_floats = layers::exported_row_floats;
  for (const ExportedLayer& layer : layers)
    buffer_floats = std::max(buffer_floats, layers::exported_padded(layer.output.elements()));
  // Raw bytes are scaled as ctnn's IDX reader scales them, unless the network rescales them itself.
  const bool rescales_pixels = !spec.layers.empty() && spec.layers.front()->keras_type() == "Rescaling";

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
//   const auto [c, p] = NAME::classify(pixels);      // pixels: NAME::inputs bytes, 0-255
//   std::printf("%s (%.0f%%)\n", NAME::class_names[c], 100.0 * p);
//
// Both use the stack only (about NAME::stack_bytes of it): no heap allocation, safe to call from any
// number of threads at once.
// NAME::expect_architecture<Net>() fails to compile unless the ctnn::Net type Net has this architecture.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
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
  out.append("\n}  // namespace detail\n");
  out.append("\ninline constexpr std::string_view architecture = ").append(string_literal(file.architecture)).append(";\n");
  out.append("inline constexpr std::uint64_t fingerprint = ").append(fingerprint).append(";\n");
  out.append("inline constexpr std::size_t inputs = ").append(number(spec.input_size())).append(", outputs = ")
      .append(number(outputs)).append(";\n");
  out.append("inline constexpr std::array<const char*, outputs> class_names{");
  for (std::size_t c = 0; c < outputs; ++c) out.append(c ? ", " : "").append(string_literal(class_names[c]));
  out.append("};\n");
  out.append("// What classify returns: the most probable class (an index into class_names) and its probability.\n"
             "struct Classification {\n  std::size_t class_index;\n  float probability;\n};\n");
  out.append("// What predict takes of the stack, beside the caller's arrays; classify takes inputs + outputs\n"
             "// floats more, for the scaled pixels and the probabilities.\n"
             "inline constexpr std::size_t stack_bytes = 2 * ").append(number(buffer_floats)).append(" * sizeof(float);\n\n");
  out.append("static_assert(detail::fingerprint_of(architecture) == fingerprint, \"").append(ns)
      .append(": the architecture and the fingerprint disagree: this header was edited; regenerate it\");\n\n");
  out.append("// Fails to compile unless the ctnn::Net type Net has the architecture these weights were trained for.\n"
             "template <class Net>\nconstexpr void expect_architecture() {\n  static_assert(Net::fingerprint == fingerprint,\n"
             "                \"")
      .append(ns).append(": the weights in this header were exported for the architecture ").append(file.architecture)
      .append(", and the Net type given has another (compare Net::architecture())\");\n}\n\nnamespace detail {\n\n");

  out.append("// Layer by layer (Dropout and Flatten compute nothing in inference): its parameters, each tensor's\n"
             "// rows padded with zeros to a multiple of 16 floats, and its function from one sample's input to its output.\n");
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const ExportedLayer& layer = layers[l];
    const std::string index = number(layer.index);
    const engine::LayerNode& node = *spec.layers[layer.index];
    out.append("\n// layer ").append(index).append(": ").append(node.keras_type());
    if (const std::string token = node.architecture(); !token.empty()) out.append(" (").append(token).append(")");
    out.append(", ").append(layer.input.text()).append(" -> ").append(layer.output.text()).append("\n");
    if (!layer.parameters.empty())
      append_array(out, "parameters_" + index, layer.parameters, number(layer.parameters.size()));
    out.append("inline void layer_").append(index).append("([[maybe_unused]] const float* in, [[maybe_unused]] float* out) {\n");
    std::string_view body = bodies[l];
    while (!body.empty()) {
      const std::size_t end = body.find('\n');
      out.append("  ").append(body.substr(0, end)).append("\n");
      body.remove_prefix(end == std::string_view::npos ? body.size() : end + 1);
    }
    out.append("}\n");
  }
  out.append("\n}  // namespace detail\n\n");

  out.append("// Class probabilities (or the last layer's outputs) of one input of `inputs` floats.\n"
             "inline void predict(const float* input, float* out) {\n"
             "  alignas(64) float buffers[2][")
      .append(number(buffer_floats)).append("] = {};\n");
  std::string current = "input";
  std::size_t next_buffer = 0;
  for (const ExportedLayer& layer : layers) {
    std::string target = current;
    if (!layer.in_place || current == "input") {
      target = "buffers[" + number(next_buffer) + "]";
      next_buffer = 1 - next_buffer;
    }
    out.append("  detail::layer_").append(number(layer.index)).append("(").append(current).append(", ").append(target).append(");\n");
    current = target;
  }
  out.append("  std::copy_n(").append(current).append(", outputs, out);\n}\n\n");
  out.append(named(rescales_pixels ? R"(// The most probable class of an image of `inputs` bytes (0-255, given as they are: the network
// starts with its own Rescaling), and its probability.
inline Classification classify(const std::uint8_t* pixels) {
  float input[inputs], out[outputs];
  for (std::size_t i = 0; i < inputs; ++i) input[i] = float(pixels[i]);
)" : R"(// The most probable class of an image of `inputs` bytes (0-255, scaled by 1/255 as ctnn's IDX
// reader does), and its probability.
inline Classification classify(const std::uint8_t* pixels) {
  float input[inputs], out[outputs];
  for (std::size_t i = 0; i < inputs; ++i) input[i] = float(pixels[i]) / 255.0f;
)"));
  out.append(named(R"(  predict(input, out);
  const std::size_t best = std::size_t(std::max_element(out, out + outputs) - out);
  return {best, out[best]};
}

}  // namespace NAME

#pragma pop_macro("CTNN_UNROLL")
)"));
  return out;
}

void export_header(const ModelFile& file, const std::filesystem::path& path, std::string_view name,
                   const ExportOptions& options) {
  const std::string text = exported_header(file, name, options);
  write_file_atomically(path, text);
}

}  // namespace ctnn::io
