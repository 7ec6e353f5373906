// What the training examples print after training: the test loss and accuracy, scikit-learn's
// classification report, the confusion matrix and the top-2 accuracy.
#pragma once

#include <cstdio>
#include <filesystem>
#include <span>
#include <string>

#include <ctnn/dsl/dataset.hpp>
#include <ctnn/io/idx.hpp>
#include <ctnn/train/evaluate.hpp>
#include <ctnn/train/metrics.hpp>

namespace examples {

template <class M>
void print_test_report(M& model, const ctnn::DatasetView& test, const std::string& data_directory,
                       const ctnn::Loss& loss) {
  const ctnn::Evaluation result = ctnn::evaluate(model, test, loss);
  std::printf("test loss %.4f, test accuracy %.4f\n", result.loss, result.accuracy);
  // Class names when the data is Fashion-MNIST's; label numbers otherwise (e.g. MNIST digits).
  std::error_code no_such_directory;
  const bool fashion = std::filesystem::equivalent(data_directory, ctnn::io::default_data_directory, no_such_directory);
  const std::span<const std::string> names =
      fashion ? std::span(ctnn::io::fashion_mnist_classes) : std::span<const std::string>{};
  const ctnn::ConfusionMatrix confusion = ctnn::confusion_matrix(model, test);
  std::printf("\n%s\nconfusion matrix (test set):\n%s", ctnn::ClassificationReport(confusion).to_string(names).c_str(),
              confusion.to_string(names).c_str());
  std::printf("top-2 accuracy %.4f\n", ctnn::top_k_accuracy(model, test, 2));
}

}  // namespace examples
