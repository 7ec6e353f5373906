// History exported as CSV and JSON, against text written out by hand.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include <fstream>
#include <iterator>
#include <sstream>

#include "temp_dir.hpp"

using namespace ctnn;

TEST_CASE("a history with validation as CSV (Keras CSVLogger columns) and JSON") {
  History history;
  history.loss = {0.5, 0.25};
  history.accuracy = {0.8, 0.875};
  history.val_loss = {0.625, 0.3};
  history.val_accuracy = {0.75, 0.9};
  history.seconds = {1.5, 1.25};
  CHECK(to_csv(history) ==
        "epoch,loss,accuracy,val_loss,val_accuracy,seconds\n"
        "0,0.5,0.8,0.625,0.75,1.5\n"
        "1,0.25,0.875,0.3,0.9,1.25\n");
  CHECK(to_json(history) ==
        "{\"loss\": [0.5, 0.25], \"accuracy\": [0.8, 0.875], \"val_loss\": [0.625, 0.3], "
        "\"val_accuracy\": [0.75, 0.9], \"seconds\": [1.5, 1.25]}\n");
}

TEST_CASE("without validation the val_ columns are left out; files are written whole") {
  History history;
  history.loss = {1.0 / 3.0};
  history.accuracy = {0.1};
  history.seconds = {2.0};
  CHECK(to_csv(history) == "epoch,loss,accuracy,seconds\n0,0.3333333333333333,0.1,2\n");
  testing::TempDir dir;
  save_csv(history, dir.path() / "history.csv");
  save_json(history, dir.path() / "history.json");
  std::ifstream csv(dir.path() / "history.csv"), json(dir.path() / "history.json");
  CHECK(std::string(std::istreambuf_iterator<char>(csv), {}) == to_csv(history));
  CHECK(std::string(std::istreambuf_iterator<char>(json), {}) == "{\"loss\": [0.3333333333333333], \"accuracy\": [0.1], \"seconds\": [2]}\n");
  CHECK_THROWS_WITH(save_csv(history, dir.path() / "no" / "h.csv"), Catch::Matchers::Contains("h.csv"));
}

namespace {

std::string file_text(const std::filesystem::path& path) {
  std::ifstream file(path);
  REQUIRE(file);
  return {std::istreambuf_iterator<char>(file), {}};
}

// The rows of a CSV file after its header, as numbers.
std::vector<std::vector<double>> csv_rows(const std::filesystem::path& path) {
  std::istringstream text(file_text(path));
  std::vector<std::vector<double>> rows;
  std::string line;
  std::getline(text, line);
  while (std::getline(text, line)) {
    std::vector<double> row;
    std::istringstream fields(line);
    for (std::string field; std::getline(fields, field, ',');) row.push_back(std::stod(field));
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

TEST_CASE("a run folder holds the history, weights, confusion matrix, predictions and images of a run") {
  using Small = Net<Input<2, 3, 1>, Flatten, Dense<inferred, 8, Tanh>, Softmax<3>>;
  Rng rng(4, 0);
  Dataset test;
  test.count = 60, test.features = 6, test.image_rows = 2, test.image_cols = 3, test.images_source = "test images";
  for (std::size_t i = 0; i < test.count * test.features; ++i) test.images.push_back(float(rng.uniform()));
  for (std::size_t i = 0; i < test.count; ++i) test.labels.push_back(std::uint8_t(rng.below(3)));
  Model<Small> model{Seed{2}};
  const History history = fit<20>(model, test, {.epochs = 2, .validation = test, .verbose = false});
  testing::TempDir dir;
  const std::filesystem::path folder = dir / "run";
  write_run_folder(folder, model, history, test, {.program = "a test", .data = "memory", .class_names = {"a", "b\"c", "d"},
                                                  .options = {{"batch size", "20"}}});

  CHECK(file_text(folder / "history.csv") == to_csv(history));
  CHECK(file_text(folder / "history.json") == to_json(history));
  CHECK(file_text(folder / "summary.txt") == Small::summary());
  // The confusion matrix and the predictions are the model's, recomputed here.
  std::vector<float> probabilities(test.count * 3);
  model.predict(test.images.data(), test.count, probabilities.data());
  std::vector<std::size_t> predicted, wrong;
  std::vector<std::vector<std::size_t>> counts(3, std::vector<std::size_t>(3));
  for (std::size_t i = 0; i < test.count; ++i) {
    const float* p = probabilities.data() + 3 * i;
    predicted.push_back(std::size_t(std::max_element(p, p + 3) - p));
    ++counts[test.labels[i]][predicted[i]];
    if (predicted[i] != test.labels[i]) wrong.push_back(i);
  }
  REQUIRE(!wrong.empty());
  std::string matrix;
  for (const auto& row : counts) matrix += std::to_string(row[0]) + "," + std::to_string(row[1]) + "," + std::to_string(row[2]) + "\n";
  CHECK(file_text(folder / "confusion_matrix.csv") == matrix);
  const auto predictions = csv_rows(folder / "predictions.csv");
  REQUIRE(predictions.size() == test.count);
  for (std::size_t i = 0; i < test.count; ++i) {
    CHECK(predictions[i][0] == double(i));
    CHECK(predictions[i][1] == test.labels[i]);
    CHECK(predictions[i][2] == double(predicted[i]));
    CHECK(predictions[i][3] == double(probabilities[3 * i + predicted[i]]));
  }
  const auto misclassified = csv_rows(folder / "misclassified.csv");
  REQUIRE(misclassified.size() == wrong.size());
  for (std::size_t k = 0; k < wrong.size(); ++k) CHECK(misclassified[k] == predictions[wrong[k]]);
  // The images: the first 36 test images, and the first 36 misclassified ones, as (count, 2, 3).
  const io::NpyArray samples = io::load_npy(folder / "sample_images.npy");
  CHECK(samples.shape == std::vector<std::size_t>{run_folder_images, 2, 3});
  CHECK(std::equal(samples.values.begin(), samples.values.end(), test.images.begin()));
  const io::NpyArray wrong_images = io::load_npy(folder / "misclassified_images.npy");
  const std::size_t shown = std::min(run_folder_images, wrong.size());
  REQUIRE(wrong_images.shape == std::vector<std::size_t>{shown, 2, 3});
  for (std::size_t k = 0; k < shown; ++k)
    CHECK(std::equal(wrong_images.values.begin() + long(6 * k), wrong_images.values.begin() + long(6 * k + 6),
                     test.images.begin() + long(6 * wrong[k])));
  // Every layer's outputs for the test images (all 60: fewer than 500) but the Flatten's, under the
  // layers' Keras names, as layer_outputs gives them.
  const std::map<std::string, io::NpyArray> activations = io::read_npz(folder / "activations.npz");
  CHECK(activations.size() == 2);
  const std::vector<Matrix> outputs = layer_outputs(model, test.images, test.count);
  CHECK(activations.at("dense").shape == std::vector<std::size_t>{60, 8});
  CHECK(activations.at("dense").values == outputs[1].values);
  CHECK(activations.at("dense_1").shape == std::vector<std::size_t>{60, 3});
  CHECK(activations.at("dense_1").values == probabilities);
  // The weights under Keras's names, and run.json.
  Model<Small> loaded{Seed{9}};
  io::load_npz(loaded, folder / "weights.npz");
  CHECK(std::ranges::equal(loaded.parameters(), model.parameters()));
  const std::string json = file_text(folder / "run.json");
  CHECK_THAT(json, Catch::Contains("\"format\": 1,"));
  CHECK_THAT(json, Catch::Contains("\"classes\": [\"a\", \"b\\\"c\", \"d\"],"));
  CHECK_THAT(json, Catch::Contains("\"image_shape\": [2, 3],"));
  CHECK_THAT(json, Catch::Contains("\"options\": {\"batch size\": \"20\"},"));
  CHECK_THAT(json, Catch::Contains("\"accuracy\": " + detail::shortest(double(test.count - wrong.size()) / double(test.count))));

  CHECK_THROWS_WITH(write_run_folder(folder, model, history, test, {.program = {}, .data = {}, .class_names = {"a", "b"}, .options = {}}),
                    "write_run_folder: 2 class names for a model of 3 classes");
  test.image_cols = 0;
  CHECK_THROWS_WITH(write_run_folder(folder, model, history, test, {}),
                    "write_run_folder: the test images of test images have no height and width (6 values each)");
}
