#include "parse_spec.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../dsl/batch_norm_defaults.hpp"
#include "../error.hpp"
#include "../layers/batch_norm.hpp"
#include "../layers/dense.hpp"
#include "../layers/dropout.hpp"
#include "layer_tokens.hpp"

namespace ctnn::engine {

namespace {

class SpecParser {
 public:
  SpecParser(std::string_view text, std::string source) : text_(text), source_(std::move(source)) {}

  NetworkSpec parse() {
    const std::vector<Token> tokens = split_layers();
    if (tokens.empty())
      fail({text_.substr(0, 0), 0}, "the spec is empty",
           "write the input size, then the layers: \"784-400:relu-10:softmax\"");
    const std::vector<Token> input_parts = split(tokens[0], ':');
    if (input_parts.size() > 1)
      fail(input_parts[1], "the first number is the input size; it takes no options",
           "start with the input size: \"784-400:relu-...\"");
    NetworkSpec spec{parse_input(input_parts[0]), {}};
    if (tokens.size() == 1)
      fail(tokens[0], "the spec has an input size but no layers", std::string("add layers: \"").append(tokens[0].text).append("-10:softmax\""));

    for (std::size_t l = 1; l < tokens.size(); ++l) {
      const bool last = l + 1 == tokens.size();
      if (!(tokens[l].text[0] >= '0' && tokens[l].text[0] <= '9')) {
        spec.layers.push_back(parse_word(tokens[l]));
        continue;
      }
      const std::vector<Token> parts = split(tokens[l], ':');
      DenseOptions dense{layers::Dense{.units = parse_size(parts[0], "layer size")}};
      for (std::size_t p = 1; p < parts.size(); ++p) parse_option(parts[p], dense);
      if (dense.layer.activation == ActivationKind::softmax && !last)
        fail(*dense.activation, "softmax is only allowed on the output layer",
             "its probabilities are what the loss reads; use relu, linear, sigmoid or tanh for hidden layers");
      if (dense.batch_norm && dense.layer.activation == ActivationKind::softmax)
        fail(*dense.batch_norm, "batch normalisation after a softmax would change the probabilities",
             "put batchnorm on hidden layers only");
      if (dense.dropout && last)
        fail(*dense.dropout, "dropout after the output layer would drop predictions",
             "put dropout=rate on hidden layers only");
      spec.layers.push_back(dense.layer);
      if (dense.batch_norm) spec.layers.push_back(layers::BatchNorm{dense.momentum});
      if (dense.dropout) spec.layers.push_back(layers::Dropout{dense.rate});
    }
    return spec;
  }

 private:
  struct Token {
    std::string_view text;
    std::size_t offset;  // in the whole text
  };

  // 'text', built by appending: GCC 12 warns falsely (-Wrestrict) on "'" + std::string(...).
  static std::string quoted(std::string_view text) { return std::string("'").append(text).append("'"); }

  static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

  Token trimmed(std::size_t begin, std::size_t end) const {
    while (begin < end && is_blank(text_[begin])) ++begin;
    while (end > begin && is_blank(text_[end - 1])) --end;
    return {text_.substr(begin, end - begin), begin};
  }

  // Layers separated by '-' or newlines; comments dropped; blank lines skipped.
  std::vector<Token> split_layers() const {
    std::vector<Token> layers;
    std::size_t begin = 0;
    bool dash_before = false, in_value = false;
    auto finish = [&](std::size_t end, bool dash_after) {
      const Token token = trimmed(begin, end);
      if (!token.text.empty()) layers.push_back(token);
      else if (dash_before || dash_after)
        fail({text_.substr(dash_after ? end : begin - 1, 1), dash_after ? end : begin - 1},
             "a layer size is missing next to this '-'", "sizes are positive whole numbers: \"784-400-10:softmax\"");
    };
    for (std::size_t i = 0; i < text_.size(); ++i) {
      const char c = text_[i];
      if (c == '#') {
        finish(i, false);
        while (i < text_.size() && text_[i] != '\n') ++i;
        begin = std::min(i + 1, text_.size()), dash_before = false, in_value = false;  // a comment may end the text
      } else if (c == '\n' || (c == '-' && !(in_value && i > 0 && std::string_view("=,eE").find(text_[i - 1]) != std::string_view::npos))) {
        finish(i, c == '-');
        begin = i + 1, dash_before = c == '-', in_value = false;
      } else if (c == '=') {
        in_value = true;
      } else if (c == ':') {
        in_value = false;
      }
    }
    finish(text_.size(), false);
    return layers;
  }

  std::vector<Token> split(Token token, char separator) const {
    std::vector<Token> parts;
    std::size_t begin = token.offset;
    const std::size_t end = token.offset + token.text.size();
    for (std::size_t i = begin; i <= end; ++i)
      if (i == end || text_[i] == separator) {
        const Token part = trimmed(begin, i);
        if (part.text.empty()) fail({text_.substr(i == end ? i - 1 : i, 1), i == end ? i - 1 : i}, "empty option next to this ':'", "remove the extra ':'");
        parts.push_back(part);
        begin = i + 1;
      }
    return parts;
  }

  // "784", or "28x28x1" for images (height x width x channels).
  Shape parse_input(Token token) const {
    const std::size_t x = token.text.find('x');
    if (x == std::string_view::npos) return Shape(parse_size(token, "input size"));
    const std::size_t second = token.text.find('x', x + 1);
    if (second == std::string_view::npos || token.text.find('x', second + 1) != std::string_view::npos)
      fail(token, quoted(token.text) + " is not an input shape", "write a size (784) or height x width x channels (28x28x1)");
    const Shape shape(parse_size({token.text.substr(0, x), token.offset}, "input height"),
                      parse_size({token.text.substr(x + 1, second - x - 1), token.offset + x + 1}, "input width"),
                      parse_size({token.text.substr(second + 1), token.offset + second + 1}, "input channel count"));
    // Each extent is at most 2^26 (parse_size): the product of two fits, and is checked before the third.
    const std::size_t plane = shape.extents[0] * shape.extents[1];
    if (plane > largest_size || plane * shape.extents[2] > largest_size)
      fail(token, "the input shape " + std::string(token.text) + " has more than " + std::to_string(largest_size) + " values");
    return shape;
  }

  // A layer named by a word (engine/layer_tokens.hpp), with the value after '=' if any.
  Layer parse_word(Token token) const {
    const std::size_t equals = token.text.find('=');
    const std::string_view word = token.text.substr(0, equals);
    const auto& words = layer_tokens();
    const auto found = words.find(word);
    if (found == words.end()) {
      std::string known;
      for (const auto& [name, make] : words) known.append(known.empty() ? "" : ", ").append(name);
      fail({word, token.offset}, "unknown layer " + quoted(word), "a layer is a size (400:relu) or one of: " + known);
    }
    const std::string_view value = equals == std::string_view::npos ? std::string_view() : token.text.substr(equals + 1);
    if (equals != std::string_view::npos && value.empty()) fail(token, quoted(token.text) + " has no value after '='");
    try {
      return found->second(value);
    } catch (const Error& error) {
      fail(token, error.what());
    }
  }

  static constexpr std::size_t largest_size = std::size_t(1) << 26;

  std::size_t parse_size(Token token, const char* what) const {
    constexpr std::size_t largest = largest_size;
    std::size_t value = 0;
    const auto [end, error] = std::from_chars(token.text.data(), token.text.data() + token.text.size(), value);
    if (error == std::errc::result_out_of_range) fail(token, std::string(what) + " " + std::string(token.text) + " is too large");
    if (error != std::errc{} || end != token.text.data() + token.text.size())
      fail(token, quoted(token.text) + " is not a " + what, "sizes are positive whole numbers");
    if (value == 0) fail(token, std::string(what) + " 0: every layer needs at least one unit");
    if (value > largest) fail(token, std::string(what) + " " + std::string(token.text) + " is too large (at most " + std::to_string(largest) + ")");
    return value;
  }

  float parse_number(Token token, const char* what) const {
    float value = 0.0f;
    const auto [end, error] = std::from_chars(token.text.data(), token.text.data() + token.text.size(), value);
    if (token.text.empty() || error != std::errc{} || end != token.text.data() + token.text.size() || !std::isfinite(value))
      fail(token, quoted(token.text) + " is not a number (" + what + ")", "write it like 0.01 or 1e-3");
    return value;
  }

  float parse_coefficient(Token token) const {
    const float value = parse_number(token, "a regulariser coefficient");
    if (value < 0.0f) fail(token, "a regulariser coefficient must not be negative");
    return value;
  }

  // "name=value" -> the value's token, which must be present; `expected` describes it.
  Token value_of(Token option, std::size_t equals, const char* expected) const {
    if (equals == std::string_view::npos) fail(option, quoted(option.text) + " needs a value", expected);
    return {option.text.substr(equals + 1), option.offset + equals + 1};
  }

  std::pair<Token, Token> pair_of(Token value, const char* expected) const {
    const std::size_t comma = value.text.find(',');
    if (comma == std::string_view::npos) fail(value, "expected two numbers separated by ','", expected);
    return {{value.text.substr(0, comma), value.offset}, {value.text.substr(comma + 1), value.offset + comma + 1}};
  }

  // A Dense layer as its options give it, and the BatchNorm and Dropout its options add after it.
  struct DenseOptions {
    layers::Dense layer;
    float momentum = default_batch_norm_momentum, rate = 0.0f;
    const Token *activation = nullptr, *regularizer = nullptr, *initializer = nullptr, *dropout = nullptr,
                *batch_norm = nullptr;
  };

  void parse_option(const Token& option, DenseOptions& dense) const {
    layers::Dense& layer = dense.layer;
    const Token*& activation = dense.activation;
    const Token*& regularizer = dense.regularizer;
    const Token*& initializer = dense.initializer;
    const Token*& dropout = dense.dropout;
    const Token*& batch_norm = dense.batch_norm;
    const std::size_t equals = option.text.find('=');
    const std::string_view name = option.text.substr(0, equals);
    constexpr ActivationKind activations[] = {ActivationKind::relu, ActivationKind::linear, ActivationKind::sigmoid,
                                              ActivationKind::tanh, ActivationKind::softmax};
    for (ActivationKind kind : activations)
      if (option.text == spec_name(kind)) {
        if (activation) fail(option, std::string("a layer has one activation, and this one already has ").append(quoted(activation->text)));
        layer.activation = kind;
        activation = &option;
        return;
      }
    if (name == "l1" || name == "l2" || name == "l1l2") {
      if (regularizer) fail(option, std::string("a layer has one kernel regulariser, and this one already has ").append(quoted(regularizer->text)), "use l1l2=a,b for both");
      regularizer = &option;
      if (name == "l1l2") {
        const auto [a, b] = pair_of(value_of(option, equals, "write l1l2=a,b"), "write l1l2=a,b");
        layer.regularizer = {parse_coefficient(a), parse_coefficient(b)};
      } else {
        const float c = parse_coefficient(value_of(option, equals, "write l1=c or l2=c, e.g. l2=0.01"));
        layer.regularizer = name == "l1" ? RegularizerSpec{c, 0.0f} : RegularizerSpec{0.0f, c};
      }
      return;
    }
    if (name == "glorot_uniform" || name == "he_normal" || name == "zeros" || name == "random_normal") {
      if (initializer) fail(option, std::string("a layer has one initialiser, and this one already has ").append(quoted(initializer->text)));
      initializer = &option;
      if (name == "random_normal") {
        layer.initializer.kind = InitializerKind::random_normal;
        if (equals != std::string_view::npos) {
          const auto [mean, stddev] = pair_of(value_of(option, equals, ""), "write random_normal=mean,stddev");
          layer.initializer.mean = parse_number(mean, "the mean");
          layer.initializer.stddev = parse_number(stddev, "the standard deviation");
          if (layer.initializer.stddev < 0.0f) fail(stddev, "a standard deviation must not be negative");
        }
        return;
      }
      if (equals != std::string_view::npos) fail(option, quoted(name) + " takes no value");
      layer.initializer.kind = name == "he_normal" ? InitializerKind::he_normal
                               : name == "zeros"   ? InitializerKind::zeros
                                                   : InitializerKind::glorot_uniform;
      return;
    }
    if (name == "activity_l1") {
      layer.activity_l1 = parse_coefficient(value_of(option, equals, "write activity_l1=c, e.g. activity_l1=1e-4"));
      return;
    }
    if (name == "batchnorm") {
      if (batch_norm) fail(option, std::string("a layer has one batch normalisation, and this one already has ").append(quoted(batch_norm->text)));
      batch_norm = &option;
      if (equals != std::string_view::npos) {
        const Token value = value_of(option, equals, "");
        dense.momentum = parse_number(value, "a batch-norm momentum");
        if (!(dense.momentum >= 0.0f && dense.momentum <= 1.0f))
          fail(value, "the momentum of batch normalisation's moving statistics is in [0, 1]", "Keras's default is 0.99");
      }
      return;
    }
    if (name == "dropout") {
      if (dropout) fail(option, std::string("a layer has one dropout, and this one already has ").append(quoted(dropout->text)));
      dropout = &option;
      const Token value = value_of(option, equals, "write dropout=rate, e.g. dropout=0.2");
      dense.rate = parse_number(value, "a dropout rate");
      if (!(dense.rate >= 0.0f && dense.rate < 1.0f))
        fail(value, "a dropout rate is the fraction of outputs dropped, in [0, 1)");
      return;
    }
    fail(option, std::string("unknown activation or option ").append(quoted(option.text)),
         "activations: relu, linear, sigmoid, tanh, softmax; regularisers: l1=c, l2=c, l1l2=a,b; "
         "initialisers: glorot_uniform, he_normal, zeros, random_normal=mean,stddev; activity_l1=c; batchnorm[=momentum]; "
         "dropout=rate");
  }

  // "source:line:column: what" (or "network spec: what"), then the line with the token underlined.
  [[noreturn]] void fail(Token token, const std::string& what, const std::string& hint = {}) const {
    const std::size_t newline = token.offset == 0 ? std::string_view::npos : text_.rfind('\n', token.offset - 1);
    const std::size_t line_begin = newline == std::string_view::npos ? 0 : newline + 1;
    const std::size_t line_end = std::min(text_.find('\n', token.offset), text_.size());
    const std::size_t line = 1 + std::size_t(std::count(text_.begin(), text_.begin() + long(line_begin), '\n'));
    const std::size_t column = token.offset - line_begin;
    std::ostringstream message;
    if (source_.empty()) message << "network spec: " << what;
    else message << source_ << ":" << line << ":" << column + 1 << ": " << what;
    message << "\n  " << text_.substr(line_begin, line_end - line_begin) << "\n  " << std::string(column, ' ')
            << std::string(std::max<std::size_t>(token.text.size(), 1), '^');
    if (!hint.empty()) message << "\n  " << hint;
    throw Error(message.str());
  }

  std::string_view text_;
  std::string source_;
};

}  // namespace

NetworkSpec parse_spec(std::string_view text) { return SpecParser(text, {}).parse(); }

NetworkSpec load_spec(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(path.string() + ": cannot open the network spec file");
  std::ostringstream text;
  text << file.rdbuf();
  const std::string content = text.str();
  return SpecParser(content, path.string()).parse();
}

}  // namespace ctnn::engine
