#include "metrics.hpp"

#include <cstdio>

namespace ctnn {

void ConfusionMatrix::add(std::size_t truth, std::size_t predicted) {
  if (truth >= classes_ || predicted >= classes_)
    throw Error("ConfusionMatrix: class " + std::to_string(std::max(truth, predicted)) + " is outside 0.." +
                std::to_string(classes_ - 1));
  ++counts_[truth * classes_ + predicted];
}

std::string ConfusionMatrix::to_string(std::span<const std::string> names) const {
  const auto name = [&](std::size_t c) { return names.size() == classes_ ? names[c] : std::to_string(c); };
  std::size_t name_width = std::string("true \\ predicted").size(), count_width = 1;
  for (std::size_t c = 0; c < classes_; ++c) {
    name_width = std::max(name_width, name(c).size());
    count_width = std::max({count_width, name(c).size(), std::to_string(support(c)).size()});
  }
  std::string text = pad("true \\ predicted", name_width, false);
  for (std::size_t p = 0; p < classes_; ++p) text.append(" ").append(pad(name(p), count_width, true));
  text.append("\n");
  for (std::size_t t = 0; t < classes_; ++t) {
    text.append(pad(name(t), name_width, false));
    for (std::size_t p = 0; p < classes_; ++p) text.append(" ").append(pad(std::to_string((*this)(t, p)), count_width, true));
    text.append("\n");
  }
  return text;
}

std::string ConfusionMatrix::pad(const std::string& text, std::size_t width, bool right) {
  const std::string spaces(width > text.size() ? width - text.size() : 0, ' ');
  return right ? spaces + text : text + spaces;
}

ClassificationReport::ClassificationReport(const ConfusionMatrix& matrix) : accuracy(matrix.accuracy()), total(matrix.total()) {
  const auto ratio = [](std::size_t numerator, std::size_t denominator) {
    return denominator == 0 ? 0.0 : double(numerator) / double(denominator);
  };
  for (std::size_t c = 0; c < matrix.classes(); ++c) {
    ClassScores scores;
    scores.support = matrix.support(c);
    scores.precision = ratio(matrix(c, c), matrix.predicted(c));
    scores.recall = ratio(matrix(c, c), scores.support);
    const double sum = scores.precision + scores.recall;
    scores.f1 = sum == 0.0 ? 0.0 : 2.0 * scores.precision * scores.recall / sum;
    classes.push_back(scores);
    const auto n = double(matrix.classes()), weight = total == 0 ? 0.0 : double(scores.support) / double(total);
    macro.precision += scores.precision / n, macro.recall += scores.recall / n, macro.f1 += scores.f1 / n;
    weighted.precision += scores.precision * weight, weighted.recall += scores.recall * weight, weighted.f1 += scores.f1 * weight;
  }
  macro.support = weighted.support = total;
}

std::string ClassificationReport::to_string(std::span<const std::string> names, int digits) const {
  const auto name = [&](std::size_t c) { return names.size() == classes.size() ? names[c] : std::to_string(c); };
  std::size_t width = std::max<std::size_t>(std::string("weighted avg").size(), std::size_t(digits));
  for (std::size_t c = 0; c < classes.size(); ++c) width = std::max(width, name(c).size());
  char line[256];
  const auto row = [&](const std::string& heading, const ClassScores& s) {
    std::snprintf(line, sizeof line, "%*s  %9.*f %9.*f %9.*f %9zu\n", int(width), heading.c_str(), digits, s.precision, digits,
                  s.recall, digits, s.f1, s.support);
    return std::string(line);
  };
  std::snprintf(line, sizeof line, "%*s  %9s %9s %9s %9s\n\n", int(width), "", "precision", "recall", "f1-score", "support");
  std::string text = line;
  for (std::size_t c = 0; c < classes.size(); ++c) text += row(name(c), classes[c]);
  std::snprintf(line, sizeof line, "\n%*s  %9s %9s %9.*f %9zu\n", int(width), "accuracy", "", "", digits, accuracy, total);
  text += line;
  return text + row("macro avg", macro) + row("weighted avg", weighted);
}

ConfusionMatrix confusion_matrix(std::span<const float> probabilities, std::size_t classes,
                                        std::span<const std::uint8_t> labels) {
  if (probabilities.size() != labels.size() * classes)
    throw Error("confusion_matrix: " + std::to_string(probabilities.size()) + " probabilities for " +
                std::to_string(labels.size()) + " labels of " + std::to_string(classes) + " classes");
  ConfusionMatrix matrix(classes);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const float* p = probabilities.data() + i * classes;
    matrix.add(labels[i], std::size_t(std::max_element(p, p + classes) - p));
  }
  return matrix;
}

bool in_top_k(const float* probabilities, std::size_t classes, std::size_t label, std::size_t k) {
  std::size_t more_probable = 0;
  for (std::size_t c = 0; c < classes; ++c) more_probable += probabilities[c] > probabilities[label];
  return more_probable < k;
}

double top_k_accuracy(std::span<const float> probabilities, std::size_t classes, std::span<const std::uint8_t> labels,
                             std::size_t k) {
  if (probabilities.size() != labels.size() * classes || labels.empty())
    throw Error("top_k_accuracy: " + std::to_string(probabilities.size()) + " probabilities for " +
                std::to_string(labels.size()) + " labels of " + std::to_string(classes) + " classes");
  std::size_t hits = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) hits += in_top_k(probabilities.data() + i * classes, classes, labels[i], k);
  return double(hits) / double(labels.size());
}

}  // namespace ctnn
