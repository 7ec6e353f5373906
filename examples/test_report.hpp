// What the training examples print after training: the test loss and accuracy, scikit-learn's
// classification report, the confusion matrix and the top-2 accuracy.
#pragma once

#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include <ctnn/dsl/dataset.hpp>
#include <ctnn/io/data_sets.hpp>
#include <ctnn/train/evaluate.hpp>
#include <ctnn/train/metrics.hpp>

namespace examples {

template <class M>
[[gnu::cold]] void print_test_report(M& model, const ctnn::DatasetView& test, const std::string& data_directory,
                                    const ctnn::Loss& loss) {
  const ctnn::Evaluation result = ctnn::evaluate(model, test, loss);
  std::printf("test loss %.4f, test accuracy %.4f\n", result.loss, result.accuracy);
  // Class names when the data is Fashion-MNIST's; label numbers otherwise (e.g. MNIST digits).
  const std::span<const std::string> names = ctnn::io::class_names_of(data_directory);
  // One pass over the test set for the matrix and the top-2 accuracy (a CNN's pass takes seconds).
  const std::vector<float> probabilities = ctnn::predict(model, test);
  const std::span<const std::uint8_t> labels(test.labels, test.count);
  const ctnn::ConfusionMatrix confusion = ctnn::confusion_matrix(probabilities, model.output_size(), labels);
  std::printf("\n%s\nconfusion matrix (test set):\n%s", ctnn::ClassificationReport(confusion).to_string(names).c_str(),
              confusion.to_string(names).c_str());
  std::printf("top-2 accuracy %.4f\n", ctnn::top_k_accuracy(probabilities, model.output_size(), labels, 2));
}

}  // namespace examples
