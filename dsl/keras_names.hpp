// Keras's names for layers: the class name in snake case, numbered per class. summary(), .npz
// archives and model files name layers and weights with them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ctnn {

// Keras's name for a layer of class `type`, as Keras derives it (lower case, words joined with "_"):
// "Dense" -> "dense", "BatchNormalization" -> "batch_normalization", "ReLU" -> "re_lu",
// "MaxPooling2D" -> "max_pooling2d".
constexpr std::string keras_snake_case(std::string_view type) {
  const auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  const auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  // First a "_" before each capitalised word (an upper-case letter and lower-case ones) that has a
  // character before it, the words taken left to right; then between a lower-case and an upper-case letter.
  std::string words;
  for (std::size_t i = 0; i < type.size();) {
    if (i + 2 < type.size() && upper(type[i + 1]) && lower(type[i + 2])) {
      std::size_t end = i + 3;
      while (end < type.size() && lower(type[end])) ++end;
      words.append(1, type[i]).append("_").append(type.substr(i + 1, end - i - 1));
      i = end;
    } else {
      words += type[i++];
    }
  }
  std::string name;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0 && lower(words[i - 1]) && upper(words[i])) name += '_';
    name += upper(words[i]) ? char(words[i] - 'A' + 'a') : words[i];
  }
  return name;
}

// Keras's names of a network's layers: each class numbers its own layers from 0, the first one
// unnumbered ("dense", "batch_normalization", "dense_1", ...). keras_type_of(i): layer i's class.
template <class KerasTypeOf>
std::vector<std::string> keras_layer_names(std::size_t count, KerasTypeOf&& keras_type_of) {
  std::vector<std::string> names, seen;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string base = keras_snake_case(keras_type_of(i));
    std::size_t same = 0;
    for (const std::string& earlier : seen) same += earlier == base;
    seen.push_back(base);
    names.push_back(same == 0 ? base : base + "_" + std::to_string(same));
  }
  return names;
}

}  // namespace ctnn
