#include "run_folder.hpp"

#include <cstdio>

namespace ctnn::detail {

namespace {

std::string json_string(std::string_view text) {
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') quoted.append("\\").push_back(c);
    else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", unsigned(static_cast<unsigned char>(c)));
      quoted += escaped;
    } else {
      quoted.push_back(c);
    }
  }
  return quoted + "\"";
}

// Images [indices] of `data` as one (count, height, width) array.
void save_images(const std::filesystem::path& path, const Dataset& data, std::span<const std::size_t> indices) {
  std::vector<float> pixels;
  pixels.reserve(indices.size() * data.features);
  for (const std::size_t i : indices) pixels.insert(pixels.end(), data.sample(i), data.sample(i) + data.features);
  io::save_npy(path, pixels, {indices.size(), data.image_rows, data.image_cols});
}

}  // namespace

void start_run_folder(const std::filesystem::path& directory, const Dataset& test, const RunDescription& run,
                      std::size_t classes) {
  if (test.image_rows * test.image_cols != test.features)
    throw Error("write_run_folder: the test images of " + test.images_source + " have no height and width (" +
                std::to_string(test.features) + " values each)");
  if (!run.class_names.empty() && run.class_names.size() != classes)
    throw Error("write_run_folder: " + std::to_string(run.class_names.size()) + " class names for a model of " +
                std::to_string(classes) + " classes");
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) throw Error(directory.string() + ": cannot create the run folder: " + error.message());
}

void write_run_files(const std::filesystem::path& directory, const RunResults& results) {
  const auto& [history, test, run, probabilities, classes, scores, summary, network] = results;
  const std::span<const std::uint8_t> labels(test.labels.data(), test.count);
  const ConfusionMatrix confusion = confusion_matrix(probabilities, classes, labels);

  std::string predictions = "index,label,predicted,probability\n", misclassified = predictions;
  std::vector<std::size_t> misclassified_indices;
  for (std::size_t i = 0; i < test.count; ++i) {
    const float* p = probabilities.data() + i * classes;
    const std::size_t predicted = std::size_t(std::max_element(p, p + classes) - p);
    const std::string line = std::to_string(i) + "," + std::to_string(labels[i]) + "," + std::to_string(predicted) + "," +
                             shortest(double(p[predicted])) + "\n";
    predictions += line;
    if (predicted != labels[i]) {
      misclassified += line;
      misclassified_indices.push_back(i);
    }
  }
  std::string matrix;
  for (std::size_t t = 0; t < classes; ++t) {
    for (std::size_t p = 0; p < classes; ++p) matrix.append(p ? "," : "").append(std::to_string(confusion(t, p)));
    matrix += "\n";
  }

  save_csv(history, directory / "history.csv");
  save_json(history, directory / "history.json");
  write_text(directory / "summary.txt", summary);
  write_text(directory / "confusion_matrix.csv", matrix);
  write_text(directory / "classification_report.txt", ClassificationReport(confusion).to_string(run.class_names));
  write_text(directory / "predictions.csv", predictions);
  write_text(directory / "misclassified.csv", misclassified);
  std::vector<std::size_t> first(std::min(run_folder_images, test.count));
  for (std::size_t i = 0; i < first.size(); ++i) first[i] = i;
  save_images(directory / "sample_images.npy", test, first);
  misclassified_indices.resize(std::min(run_folder_images, misclassified_indices.size()));
  save_images(directory / "misclassified_images.npy", test, misclassified_indices);

  std::string json = "{\n  \"format\": " + std::to_string(run_folder_format) + ",\n  \"program\": " + json_string(run.program) +
                     ",\n  \"network\": " + json_string(network) + ",\n  \"data\": " + json_string(run.data) +
                     ",\n  \"classes\": [";
  for (std::size_t c = 0; c < classes; ++c)
    json.append(c ? ", " : "").append(json_string(run.class_names.empty() ? std::to_string(c) : run.class_names[c]));
  json += "],\n  \"image_shape\": [" + std::to_string(test.image_rows) + ", " + std::to_string(test.image_cols) +
          "],\n  \"options\": {";
  for (std::size_t i = 0; i < run.options.size(); ++i)
    json.append(i ? ", " : "").append(json_string(run.options[i].first)).append(": ").append(json_string(run.options[i].second));
  json += "},\n  \"epochs\": " + std::to_string(history.epochs()) + ",\n  \"test\": {\"loss\": " + shortest(scores.loss) +
          ", \"accuracy\": " + shortest(scores.accuracy) + ", \"count\": " + std::to_string(test.count) + "}\n}\n";
  write_text(directory / "run.json", json);
}

}  // namespace ctnn::detail
