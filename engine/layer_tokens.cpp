#include "layer_tokens.hpp"

#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../error.hpp"
#include "../layers/activation.hpp"
#include "../layers/batch_norm.hpp"
#include "../layers/dropout.hpp"
#include "../layers/conv2d.hpp"
#include "../layers/flatten.hpp"
#include "../layers/global_average_pool2d.hpp"
#include "../layers/pooling2d.hpp"
#include "../layers/rescaling.hpp"

namespace ctnn::engine {

float token_number(std::string_view value, const char* what) {
  float number = 0.0f;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (value.empty() || error != std::errc{} || end != value.data() + value.size() || !std::isfinite(number))
    throw Error("'" + std::string(value) + "' is not a number (" + what + ")");
  return number;
}

namespace {

// A whole number >= 1 of a token's value.
std::size_t token_count(std::string_view text, const char* what) {
  std::size_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value == 0 || value > (std::size_t(1) << 26))
    throw Error("'" + std::string(text) + "' is not a whole number from 1 to 2^26 (" + what + ")");
  return value;
}

// "AxBxC" as its numbers, `count` of them (or fewer when `at_least` allows).
std::vector<std::size_t> token_extents(std::string_view text, std::size_t at_least, std::size_t at_most, const char* what) {
  std::vector<std::size_t> extents;
  for (std::size_t begin = 0;;) {
    const std::size_t x = text.find('x', begin);
    extents.push_back(token_count(text.substr(begin, x == std::string_view::npos ? x : x - begin), what));
    if (x == std::string_view::npos) break;
    begin = x + 1;
  }
  if (extents.size() < at_least || extents.size() > at_most) throw Error("'" + std::string(text) + "' is not " + what);
  return extents;
}

// The parts of a value separated by ':' ("32x3x3:relu:same" -> "32x3x3", "relu", "same").
std::vector<std::string_view> token_parts(std::string_view value) {
  std::vector<std::string_view> parts;
  for (std::size_t begin = 0;;) {
    const std::size_t colon = value.find(':', begin);
    parts.push_back(value.substr(begin, colon == std::string_view::npos ? colon : colon - begin));
    if (colon == std::string_view::npos) return parts;
    begin = colon + 1;
  }
}

// conv=FILTERSxHEIGHTxWIDTH[:activation][:same|:valid][:stride=N][:l1=c|:l2=c][:initialiser]
Layer conv_token(std::string_view value) {
  if (value.empty()) throw Error("'conv' needs its filters and kernel: conv=32x3x3 (filters x height x width), then options "
                                 "such as :relu:same:stride=2");
  const std::vector<std::string_view> parts = token_parts(value);
  const std::vector<std::size_t> sizes = token_extents(parts[0], 2, 3, "filters x kernel height x kernel width, e.g. 32x3x3");
  layers::Conv2D conv{.filters = sizes[0], .kernel_height = sizes[1], .kernel_width = sizes.size() == 3 ? sizes[2] : sizes[1]};
  for (std::size_t p = 1; p < parts.size(); ++p) {
    const std::string_view option = parts[p];
    const std::size_t equals = option.find('=');
    const std::string_view name = option.substr(0, equals), number = equals == std::string_view::npos ? "" : option.substr(equals + 1);
    if (option == "same" || option == "valid") conv.padding = option == "same" ? layers::Padding::same : layers::Padding::valid;
    else if (name == "stride") conv.stride = token_count(number, "a stride");
    else if (name == "l1") conv.regularizer = {token_number(number, "an l1 coefficient"), 0.0f};
    else if (name == "l2") conv.regularizer = {0.0f, token_number(number, "an l2 coefficient")};
    else if (option == "glorot_uniform") conv.initializer = {InitializerKind::glorot_uniform};
    else if (option == "he_normal") conv.initializer = {InitializerKind::he_normal};
    else if (option == "zeros") conv.initializer = {InitializerKind::zeros};
    else if (const auto kind = activation_named(option)) conv.activation = *kind;
    else
      throw Error("unknown conv option '" + std::string(option) +
                  "' (an activation, same or valid, stride=N, l1=c, l2=c, glorot_uniform, he_normal or zeros)");
  }
  return conv;
}

// maxpool=POOL or POOLxPOOL, [:stride=N]; avgpool the same.
template <bool Max>
Layer pool_token(std::string_view value) {
  if (value.empty()) throw Error(std::string("'") + std::string(layers::Pooling2D<Max>::word) + "' needs a pool size, e.g. =2");
  const std::vector<std::string_view> parts = token_parts(value);
  const std::vector<std::size_t> pool = token_extents(parts[0], 1, 2, "a pool size, e.g. 2 or 2x2");
  layers::Pooling2D<Max> layer{pool[0], pool.size() == 2 ? pool[1] : pool[0]};
  for (std::size_t p = 1; p < parts.size(); ++p) {
    if (!parts[p].starts_with("stride=")) throw Error("unknown pooling option '" + std::string(parts[p]) + "' (stride=N)");
    layer.stride = token_count(parts[p].substr(7), "a stride");
  }
  return layer;
}

std::map<std::string, LayerFactory, std::less<>> builtin_layer_tokens() {
  std::map<std::string, LayerFactory, std::less<>> tokens;
  tokens["batchnorm"] = [](std::string_view value) -> Layer {
    layers::BatchNorm layer;
    if (!value.empty()) layer.momentum = token_number(value, "a batch-norm momentum");
    if (!(layer.momentum >= 0.0f && layer.momentum <= 1.0f))
      throw Error("the momentum of batch normalisation's moving statistics is in [0, 1]; Keras's default is 0.99");
    return layer;
  };
  tokens["dropout"] = [](std::string_view value) -> Layer {
    if (value.empty()) throw Error("'dropout' needs a rate: write dropout=rate, e.g. dropout=0.2");
    const layers::Dropout layer{token_number(value, "a dropout rate")};
    if (!(layer.rate >= 0.0f && layer.rate < 1.0f)) throw Error("a dropout rate is the fraction of values dropped, in [0, 1)");
    return layer;
  };
  tokens["conv"] = conv_token;
  tokens["maxpool"] = pool_token<true>;
  tokens["avgpool"] = pool_token<false>;
  tokens["globalavgpool"] = [](std::string_view value) -> Layer {
    if (!value.empty()) throw Error("'globalavgpool' takes no value");
    return layers::GlobalAveragePool2D{};
  };
  tokens["rescale"] = [](std::string_view value) -> Layer {
    const std::size_t comma = value.find(',');
    if (value.empty()) throw Error("'rescale' needs a scale: rescale=0.00392157 (1/255), or rescale=scale,offset");
    return layers::Rescaling{token_number(value.substr(0, comma), "a scale"),
                             comma == std::string_view::npos ? 0.0f : token_number(value.substr(comma + 1), "an offset")};
  };
  tokens["flatten"] = [](std::string_view value) -> Layer {
    if (!value.empty()) throw Error("'flatten' takes no value");
    return layers::Flatten{};
  };
  for (ActivationKind kind : {ActivationKind::relu, ActivationKind::linear, ActivationKind::sigmoid, ActivationKind::tanh})
    tokens[std::string(spec_name(kind))] = [kind, name = spec_name(kind)](std::string_view value) -> Layer {
      if (!value.empty()) throw Error("'" + std::string(name) + "' takes no value");
      return layers::Activation{kind};
    };
  return tokens;
}

}  // namespace

std::map<std::string, LayerFactory, std::less<>>& layer_tokens() {
  static std::map<std::string, LayerFactory, std::less<>> tokens = builtin_layer_tokens();
  return tokens;
}

}  // namespace ctnn::engine
