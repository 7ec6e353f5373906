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
//   activation_maximization.npy for each output unit (class), the image that maximises it (count,
//                             height, width), pixels in [0, 1]: gradient ascent from a noisy grey
//                             image as the Keras notebooks do it (train/activation_maximization.hpp)
//
// Every file is written atomically. Each file is an addition: readers ignore files they do not know,
// and `format` in run.json changes only when a file changes meaning.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
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
#include "activation_maximization.hpp"
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

// The checks before anything is written, and the folder's creation.
void start_run_folder(const std::filesystem::path& directory, const Dataset& test, const RunDescription& run,
                      std::size_t classes);

// What write_run_folder knows of the model, for the files that need nothing else of it.
struct RunResults {
  const History& history;
  const Dataset& test;
  const RunDescription& run;
  std::span<const float> probabilities;  // test.count x classes
  std::size_t classes;
  Evaluation scores;
  std::string summary, network;
};

// Every file but weights.npz and activations.npz; run.json last, so that a reader that finds it
// finds the rest.
void write_run_files(const std::filesystem::path& directory, const RunResults& results);

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

// Each output unit's maximising image (see activation_maximization.npy above), in the test images' range.
template <AnalysableBackend M>
[[gnu::cold]] void save_activation_maximization(const std::filesystem::path& path, const M& model, const Dataset& test) {
  if (test.images.empty()) return;
  const auto [low, high] = std::ranges::minmax(test.images);
  const std::size_t layer = model.layer_count() - 1, units = model.output_shape(layer).elements();
  std::vector<float> pixels;
  pixels.reserve(units * test.features);
  for (std::size_t unit = 0; unit < units; ++unit)
    for (const std::uint8_t level : deprocess_image(maximize_activation(model, layer, unit, low, high)))
      pixels.push_back(float(level) / 255.0f);
  io::save_npy(path, pixels, {units, test.image_rows, test.image_cols});
}

}  // namespace detail

// Writes the run folder of a trained model into `directory` (created if needed): its scores on
// `test` (whose image shape the pictures use), its weights, and `history`. Cold, as above.
template <AnalysableBackend M>
[[gnu::cold]] void write_run_folder(const std::filesystem::path& directory, M& model, const History& history,
                                   const Dataset& test, const RunDescription& run, const Loss& loss = {}) {
  detail::start_run_folder(directory, test, run, model.output_size());
  const Evaluation scores = evaluate(model, test, loss);
  const std::vector<float> probabilities = predict(model, test);
  io::save_npz(model, directory / "weights.npz");
  detail::save_activations(directory / "activations.npz", model, test);
  detail::save_activation_maximization(directory / "activation_maximization.npy", model, test);
  detail::write_run_files(directory, {history, test, run, probabilities, model.output_size(), scores, model.summary(),
                                      model.describe()});
}

}  // namespace ctnn
