// Confusion matrix, classification report and top-k accuracy against hand-computed values, and
// the report's layout against scikit-learn's documented example.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include "test_data.hpp"

using namespace ctnn;
using Catch::Detail::Approx;

namespace {
// scikit-learn's example: y_true = [0, 1, 2, 2, 2], y_pred = [0, 0, 2, 2, 1].
ConfusionMatrix documented_example() {
  ConfusionMatrix matrix(3);
  const std::size_t truth[] = {0, 1, 2, 2, 2}, predicted[] = {0, 0, 2, 2, 1};
  for (std::size_t i = 0; i < 5; ++i) matrix.add(truth[i], predicted[i]);
  return matrix;
}
}  // namespace

TEST_CASE("a confusion matrix counts true against predicted classes") {
  const ConfusionMatrix matrix = documented_example();
  CHECK(matrix(0, 0) == 1);
  CHECK(matrix(1, 0) == 1);
  CHECK(matrix(2, 1) == 1);
  CHECK(matrix(2, 2) == 2);
  CHECK(matrix(0, 2) == 0);
  CHECK(matrix.support(2) == 3);
  CHECK(matrix.predicted(0) == 2);
  CHECK(matrix.total() == 5);
  CHECK(matrix.accuracy() == Approx(0.6));
  const std::vector<std::string> names{"cat", "dog", "bird"};
  CHECK(matrix.to_string(names) == "true \\ predicted  cat  dog bird\n"
                                   "cat                 1    0    0\n"
                                   "dog                 1    0    0\n"
                                   "bird                0    1    2\n");
  ConfusionMatrix small(2);
  CHECK_THROWS_WITH(small.add(2, 0), "ConfusionMatrix: class 2 is outside 0..1");
}

TEST_CASE("the classification report has hand-computed scores and scikit-learn's layout") {
  const ClassificationReport report(documented_example());
  REQUIRE(report.classes.size() == 3);
  CHECK(report.classes[0].precision == Approx(0.5));
  CHECK(report.classes[0].recall == Approx(1.0));
  CHECK(report.classes[0].f1 == Approx(2.0 / 3.0));
  CHECK(report.classes[1].precision == 0.0);  // no correct prediction: 0, not NaN
  CHECK(report.classes[1].f1 == 0.0);
  CHECK(report.classes[2].recall == Approx(2.0 / 3.0));
  CHECK(report.classes[2].f1 == Approx(0.8));
  CHECK(report.macro.recall == Approx((1.0 + 0.0 + 2.0 / 3.0) / 3.0));
  CHECK(report.weighted.f1 == Approx((2.0 / 3.0 * 1 + 0.8 * 3) / 5.0));
  const std::vector<std::string> names{"class 0", "class 1", "class 2"};
  CHECK(report.to_string(names) == "              precision    recall  f1-score   support\n"
                                   "\n"
                                   "     class 0       0.50      1.00      0.67         1\n"
                                   "     class 1       0.00      0.00      0.00         1\n"
                                   "     class 2       1.00      0.67      0.80         3\n"
                                   "\n"
                                   "    accuracy                           0.60         5\n"
                                   "   macro avg       0.50      0.56      0.49         5\n"
                                   "weighted avg       0.70      0.60      0.61         5\n");
}

TEST_CASE("a class that is never predicted and never present scores 0 everywhere") {
  ConfusionMatrix matrix(3);
  matrix.add(0, 0);
  matrix.add(1, 1);
  const ClassificationReport report(matrix);
  CHECK(report.classes[2].precision == 0.0);
  CHECK(report.classes[2].recall == 0.0);
  CHECK(report.classes[2].support == 0);
  CHECK(report.macro.precision == Approx(2.0 / 3.0));
  CHECK(report.weighted.precision == Approx(1.0));
}

TEST_CASE("top-k accuracy counts a label among the k most probable classes, ties at the boundary in") {
  const float probabilities[] = {0.1f, 0.6f, 0.3f,   // label 2: second most probable
                                 0.5f, 0.25f, 0.25f,  // label 2: tied for second
                                 0.2f, 0.3f, 0.5f,   // label 0: third
                                 0.7f, 0.2f, 0.1f};  // label 0: first
  const std::uint8_t labels[] = {2, 2, 0, 0};
  CHECK(top_k_accuracy(probabilities, 3, labels, 1) == Approx(0.25));
  CHECK(top_k_accuracy(probabilities, 3, labels, 2) == Approx(0.75));
  CHECK(top_k_accuracy(probabilities, 3, labels, 3) == Approx(1.0));
  CHECK_THROWS_WITH(top_k_accuracy(std::span(probabilities, 11), 3, labels, 1), Catch::Matchers::Contains("11 probabilities"));
}

TEST_CASE("metrics of a model agree with evaluate() on both backends") {
  using Small = Net<Dense<20, 16, ReLU>, Softmax<5>>;
  const testing::Batch batch = testing::random_batch(300, 20, 5, 9);
  Model<Small> model{Seed{2}};
  engine::Network network{Small::spec(), Seed{2}};
  const ConfusionMatrix matrix = confusion_matrix(model, batch.view());
  CHECK(matrix.total() == 300);
  CHECK(matrix.accuracy() == Approx(evaluate(model, batch.view()).accuracy));
  CHECK(confusion_matrix(network, batch.view()).to_string() == matrix.to_string());
  CHECK(top_k_accuracy(model, batch.view(), 1) == Approx(matrix.accuracy()));
  CHECK(top_k_accuracy(model, batch.view(), 5) == 1.0);
}
