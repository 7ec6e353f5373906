// A run folder: everything the notebooks' figures need from one training run, in files Python
// reads directly, for `ctnn-plot DIR` (tools/ctnn-plot) or a notebook of one's own.
//
//   run.json                  the program, network, data set, options, class names, image shape, test scores
//   history.csv, history.json the epochs' loss, accuracy, validation scores, learning rate and seconds
//                             (during training: history.csv after each epoch, through a CSVLogger)
//   summary.txt               the model's summary()
//   weights.npz               every weight under Keras's name (io::save_npz)
//   confusion_matrix.csv      the test set's counts: row = true class, column = predicted
//   classification_report.txt scikit-learn's layout
//   predictions.csv           index, label, predicted, probability of the predicted class, per test image
//   misclassified.csv         the same columns, for the misclassified test images only
//   sample_images.npy         the first test images (count, height, width), pixels in [0, 1]
//   misclassified_images.npy  the first misclassified test images, in misclassified.csv's order
//   activations.npz           each layer's outputs for the first test images, under the layer's
//                             Keras name ("conv2d", "dense_1"), shaped (count, *output shape); count
//                             is 500, fewer for large feature maps (at most 2^19 values per layer);
//                             layers that compute nothing in inference (Dropout, Flatten) left out
//
// Every file is written atomically. Each file is an addition: readers ignore files they do not know,
// and `format` in run.json changes only when a file changes meaning.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../dsl/dataset.hpp"
#include "../dsl/losses.hpp"
#include "../error.hpp"
#include "../io/npy.hpp"
#include "../io/npz.hpp"
#include "../layers/tensor_names.hpp"
#include "analysis.hpp"
#include "backend.hpp"
#include "evaluate.hpp"
#include "history.hpp"
#include "history_files.hpp"
#include "metrics.hpp"

namespace ctnn {

// What a run folder says about the run beyond the model and its history.
struct RunDescription {
  std::string program;                                      // "train_seed"
  std::string data;                                         // where the data came from
  std::vector<std::string> class_names;                     // empty: the labels are their names ("0".."9")
  std::vector<std::pair<std::string, std::string>> options;  // shown as given: {"optimizer", "Adam"}, {"batch size", "200"}
};

// How many images sample_images.npy and misclassified_images.npy hold at most.
inline constexpr std::size_t run_folder_images = 36;
// How many test images activations.npz holds at most, and how many values per layer.
inline constexpr std::size_t run_folder_activation_images = 500;
inline constexpr std::size_t run_folder_activation_values = std::size_t(1) << 19;
inline constexpr int run_folder_format = 1;

namespace detail {

inline std::string json_string(std::string_view text) {
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
inline void save_images(const std::filesystem::path& path, const Dataset& data, std::span<const std::size_t> indices) {
  std::vector<float> pixels;
  pixels.reserve(indices.size() * data.features);
  for (const std::size_t i : indices) pixels.insert(pixels.end(), data.sample(i), data.sample(i) + data.features);
  io::save_npy(path, pixels, {indices.size(), data.image_rows, data.image_cols});
}

// Every layer's outputs for the first test images (see activations.npz above).
// Cold (runs once a run; optimised as hot code it cost the main job 3-4% of its compile time).
template <AnalysableBackend M>
[[gnu::cold]] void save_activations(const std::filesystem::path& path, const M& model, const Dataset& test) {
  const std::size_t count = std::min(run_folder_activation_images, test.count);
  if (count == 0) return;
  const std::vector<Matrix> outputs = layer_outputs(model, std::span(test.images.data(), count * test.features), count);
  const std::vector<std::string> names =
      keras_layer_names(model.layer_count(), [&](std::size_t i) { return model.keras_type(i); });
  std::vector<io::NamedArray> arrays;
  for (std::size_t i = 0; i < model.layer_count(); ++i) {
    if (model.template layer_as<layers::Dropout>(i) || model.template layer_as<layers::Flatten>(i)) continue;
    const Shape shape = model.output_shape(i);
    const std::size_t rows = std::clamp<std::size_t>(run_folder_activation_values / shape.elements(), 1, count);
    std::vector<std::size_t> extents{rows};
    extents.insert(extents.end(), shape.extents.begin(), shape.extents.begin() + long(shape.rank));
    arrays.push_back({names[i], {outputs[i].values.begin(), outputs[i].values.begin() + long(rows * shape.elements())},
                      std::move(extents)});
  }
  io::save_npz(path, arrays);
}

}  // namespace detail

// Writes the run folder of a trained model into `directory` (created if needed): its scores on
// `test` (whose image shape the pictures use), its weights, and `history`. Cold, as above.
template <AnalysableBackend M>
[[gnu::cold]] void write_run_folder(const std::filesystem::path& directory, M& model, const History& history,
                                   const Dataset& test, const RunDescription& run, const Loss& loss = {}) {
  if (test.image_rows * test.image_cols != test.features)
    throw Error("write_run_folder: the test images of " + test.images_source + " have no height and width (" +
                std::to_string(test.features) + " values each)");
  if (!run.class_names.empty() && run.class_names.size() != model.output_size())
    throw Error("write_run_folder: " + std::to_string(run.class_names.size()) + " class names for a model of " +
                std::to_string(model.output_size()) + " classes");
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) throw Error(directory.string() + ": cannot create the run folder: " + error.message());

  const std::size_t classes = model.output_size();
  const Evaluation scores = evaluate(model, test, loss);
  const std::vector<float> probabilities = predict(model, test);
  const std::span<const std::uint8_t> labels(test.labels.data(), test.count);
  const ConfusionMatrix confusion = confusion_matrix(probabilities, classes, labels);

  std::string predictions = "index,label,predicted,probability\n", misclassified = predictions;
  std::vector<std::size_t> misclassified_indices;
  for (std::size_t i = 0; i < test.count; ++i) {
    const float* p = probabilities.data() + i * classes;
    const std::size_t predicted = std::size_t(std::max_element(p, p + classes) - p);
    const std::string line = std::to_string(i) + "," + std::to_string(labels[i]) + "," + std::to_string(predicted) + "," +
                             detail::shortest(double(p[predicted])) + "\n";
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
  detail::write_text(directory / "summary.txt", model.summary());
  io::save_npz(model, directory / "weights.npz");
  detail::write_text(directory / "confusion_matrix.csv", matrix);
  detail::write_text(directory / "classification_report.txt", ClassificationReport(confusion).to_string(run.class_names));
  detail::write_text(directory / "predictions.csv", predictions);
  detail::write_text(directory / "misclassified.csv", misclassified);
  std::vector<std::size_t> first(std::min(run_folder_images, test.count));
  for (std::size_t i = 0; i < first.size(); ++i) first[i] = i;
  detail::save_images(directory / "sample_images.npy", test, first);
  misclassified_indices.resize(std::min(run_folder_images, misclassified_indices.size()));
  detail::save_images(directory / "misclassified_images.npy", test, misclassified_indices);
  detail::save_activations(directory / "activations.npz", model, test);

  std::string json = "{\n  \"format\": " + std::to_string(run_folder_format) +
                     ",\n  \"program\": " + detail::json_string(run.program) +
                     ",\n  \"network\": " + detail::json_string(model.describe()) +
                     ",\n  \"data\": " + detail::json_string(run.data) + ",\n  \"classes\": [";
  for (std::size_t c = 0; c < classes; ++c)
    json.append(c ? ", " : "").append(detail::json_string(run.class_names.empty() ? std::to_string(c) : run.class_names[c]));
  json += "],\n  \"image_shape\": [" + std::to_string(test.image_rows) + ", " + std::to_string(test.image_cols) +
          "],\n  \"options\": {";
  for (std::size_t i = 0; i < run.options.size(); ++i)
    json.append(i ? ", " : "").append(detail::json_string(run.options[i].first)).append(": ").append(detail::json_string(run.options[i].second));
  json += "},\n  \"epochs\": " + std::to_string(history.epochs()) + ",\n  \"test\": {\"loss\": " +
          detail::shortest(scores.loss) + ", \"accuracy\": " + detail::shortest(scores.accuracy) + ", \"count\": " +
          std::to_string(test.count) + "}\n}\n";
  detail::write_text(directory / "run.json", json);
}

}  // namespace ctnn
