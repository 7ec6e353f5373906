// Classification metrics beyond accuracy: the confusion matrix, a per-class report printed like
// scikit-learn's classification_report (precision, recall, F1, support; macro and weighted
// averages), and top-k accuracy. For either backend, or for probabilities computed elsewhere.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "../error.hpp"
#include "../dsl/dataset.hpp"
#include "backend.hpp"
#include "data_checks.hpp"

namespace ctnn {

// counts(truth, predicted): how many samples of class `truth` were predicted as `predicted`.
class ConfusionMatrix {
 public:
  explicit ConfusionMatrix(std::size_t classes) : classes_(classes), counts_(classes * classes, 0) {}

  void add(std::size_t truth, std::size_t predicted);

  std::size_t classes() const { return classes_; }
  std::size_t operator()(std::size_t truth, std::size_t predicted) const { return counts_[truth * classes_ + predicted]; }
  // Samples whose true class is c (a row's sum), and samples predicted as c (a column's sum).
  std::size_t support(std::size_t c) const {
    std::size_t total = 0;
    for (std::size_t p = 0; p < classes_; ++p) total += (*this)(c, p);
    return total;
  }
  std::size_t predicted(std::size_t c) const {
    std::size_t total = 0;
    for (std::size_t t = 0; t < classes_; ++t) total += (*this)(t, c);
    return total;
  }
  std::size_t total() const {
    std::size_t total = 0;
    for (const std::size_t count : counts_) total += count;
    return total;
  }
  double accuracy() const {
    std::size_t correct = 0;
    for (std::size_t c = 0; c < classes_; ++c) correct += (*this)(c, c);
    return total() == 0 ? 0.0 : double(correct) / double(total());
  }

  // Rows are the true classes, columns the predicted ones; `names` (one per class) label both.
  std::string to_string(std::span<const std::string> names = {}) const;

 private:
  static std::string pad(const std::string& text, std::size_t width, bool right);

  std::size_t classes_;
  std::vector<std::size_t> counts_;
};

struct ClassScores {
  double precision = 0.0, recall = 0.0, f1 = 0.0;
  std::size_t support = 0;
};

// scikit-learn's conventions: a precision or recall whose denominator is zero is 0, and so is
// F1 when precision + recall is 0; macro averages are plain means over the classes, weighted
// averages are weighted by support.
struct ClassificationReport {
  std::vector<ClassScores> classes;
  ClassScores macro, weighted;
  double accuracy = 0.0;
  std::size_t total = 0;

  explicit ClassificationReport(const ConfusionMatrix& matrix);

  // The layout of scikit-learn's classification_report: names right-aligned, four columns of 9.
  std::string to_string(std::span<const std::string> names = {}, int digits = 2) const;
};

// The confusion matrix of probabilities (count x classes, row-major) against integer labels.
ConfusionMatrix confusion_matrix(std::span<const float> probabilities, std::size_t classes,
                                        std::span<const std::uint8_t> labels);

// Whether the label is among the k most probable classes: fewer than k classes are more probable
// (ties at the boundary count as in, as tf.math.in_top_k has it).
bool in_top_k(const float* probabilities, std::size_t classes, std::size_t label, std::size_t k);

double top_k_accuracy(std::span<const float> probabilities, std::size_t classes, std::span<const std::uint8_t> labels,
                             std::size_t k);

// The same for a model of either backend on a data set.
template <Backend M>
ConfusionMatrix confusion_matrix(M& model, const DatasetView& data) {
  check_fits(model, data, "data");
  std::vector<float> probabilities(data.count * model.output_size());
  model.predict(data.images, data.count, probabilities.data());
  return confusion_matrix(probabilities, model.output_size(), std::span(data.labels, data.count));
}

template <Backend M>
double top_k_accuracy(M& model, const DatasetView& data, std::size_t k) {
  check_fits(model, data, "data");
  std::vector<float> probabilities(data.count * model.output_size());
  model.predict(data.images, data.count, probabilities.data());
  return top_k_accuracy(probabilities, model.output_size(), std::span(data.labels, data.count), k);
}

}  // namespace ctnn
