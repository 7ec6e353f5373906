// Notebook seed 001 on the MNIST digits: one hidden ReLU layer of H units with L2(0.01), H from 1 to 500,
// RMSprop at 0.001 in batches of 32, categorical cross-entropy, the last 5,000 training images held out
// (Keras's validation_split), EarlyStopping on val_accuracy with patience 2 (at most 200 epochs) and
// ModelCheckpoint keeping the best val_loss; the test accuracy is the best checkpoint's. One program
// trains eight widths, so they run on the generic engine from a spec each rather than as eight types.
// Experiments 9 and 10 hold out the first 5,000 rows instead and train 30 epochs on fewer features:
// the PCA components that keep 95% of the variance of the other 55,000 rows, or the 70 pixels a random
// forest (scikit-learn, experiments/forest_pixels.py) ranks most important.
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <tuple>
#include <unistd.h>

#include "notebook.hpp"

using namespace ctnn;

// A path as one word for the shell.
std::string quoted(const std::filesystem::path& path) {
  std::string text = "'";
  for (char c : path.string()) text += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return text + "'";
}

// The indices of the `top` features scikit-learn's random forest (100 trees, random_state 42) ranks most
// important on `data`, which goes to the script as .npy arrays.
std::vector<std::size_t> forest_pixels(const DatasetView& data, std::size_t top, std::size_t threads,
                                       const std::filesystem::path& folder) {
  const std::filesystem::path images = folder / "forest_x.npy", labels = folder / "forest_y.npy",
                              ranked = folder / "forest_pixels.npy";
  io::save_npy_data_set(data, images, labels);
  const std::string command = std::string(CTNN_PYTHON) + " " + quoted(CTNN_FOREST_PIXELS) + " --images " + quoted(images) +
                              " --labels " + quoted(labels) + " --out " + quoted(ranked) + " --top " + std::to_string(top) +
                              " --jobs " + std::to_string(threads ? threads : 1);
  std::fflush(stdout);
  if (const int status = std::system(command.c_str()); status != 0)
    throw Error("experiment 10: the random forest did not run (" + command + " exited with status " +
                std::to_string(status) + ")");
  return io::load_npy_indices(ranked);
}

// Experiments 9 and 10: the first rows validate, the rest train, after the features are reduced to the
// PCA's components or the forest's pixels (both fitted on the training rows only); 130 ReLU units,
// RMSprop at 0.001 in batches of 32 as before, sparse categorical cross-entropy, 30 epochs, and the
// test accuracy after the last.
void train_reduced_features(const experiments::Flags& flags, const experiments::Data& data,
                            const std::filesystem::path& folder, experiments::Table& table) {
  const std::size_t held_out = flags.quick ? 100 : 5000;
  const DatasetView validation = data.train.slice(0, held_out), train = data.train.slice(held_out, data.train.count);
  const auto train_130 = [&](const Dataset& reduced_train, const Dataset& reduced_validation, const Dataset& reduced_test,
                             std::uint64_t seed) {
    engine::Network network{std::to_string(reduced_train.features) + "-130:relu-10:softmax", Seed{seed}};
    const History history =
        fit<32>(network, reduced_train,
                {.epochs = experiments::epochs(flags, 30), .optimizer = RMSprop{.learning_rate = 0.001f},
                 .loss = SparseCategoricalCrossentropy{}, .validation = reduced_validation, .seed = seed,
                 .threads = flags.threads});
    return experiments::Outcome{evaluate(network, reduced_test).accuracy, history.epochs()};
  };

  // Fitted once, when the first seed needs it: the transform does not depend on the seed.
  std::optional<Pca> pca;
  std::optional<Dataset> pca_train, pca_validation, pca_test;
  table.run("9 PCA(0.95) of the training rows, 154-130r-10s, 30 epochs", {97.78, 30}, [&](std::uint64_t seed) {
    if (!pca) {
      pca = Pca::fit(train, {.variance = 0.95});
      std::printf("PCA(0.95) of the %zu training rows keeps %zu components (the notebook's: 154)\n", train.count,
                  pca->component_count());
      pca_train = pca->transform(train), pca_validation = pca->transform(validation);
      // The test images go through the PCA as saved and read back, as a shipped model's inputs would.
      save_pca(*pca, folder / "pca.npz");
      pca_test = load_pca(folder / "pca.npz").transform(data.test);
    }
    return train_130(*pca_train, *pca_validation, *pca_test, seed);
  });

  std::vector<std::size_t> pixels;
  std::optional<Dataset> forest_train, forest_validation, forest_test;
  table.run("10 a random forest's 70 first pixels, 70-130r-10s, 30 epochs", {94.21, 30}, [&](std::uint64_t seed) {
    if (pixels.empty()) {
      pixels = forest_pixels(train, 70, flags.threads, folder);
      forest_train = select_columns(train, pixels), forest_validation = select_columns(validation, pixels),
      forest_test = select_columns(data.test, pixels);
    }
    return train_130(*forest_train, *forest_validation, *forest_test, seed);
  });
}

void train_models(const experiments::Flags& flags, const experiments::Data& data, experiments::Table& table) {
  const std::filesystem::path folder =
      std::filesystem::temp_directory_path() / ("ctnn-seed001-" + std::to_string(::getpid()));
  std::filesystem::create_directories(folder);
  // Width, published test accuracy, epochs run before early stopping.
  const std::tuple<std::size_t, double, std::size_t> widths[] = {{1, 38.3, 14},  {2, 66.9, 20},  {10, 92.7, 12},
                                                                 {30, 96.5, 12}, {80, 96.5, 10}, {130, 97.1, 8},
                                                                 {200, 96.5, 6}, {500, 96.5, 5}};
  for (const auto& [units, percent, epochs_run] : widths) {
    const std::string spec = "784-" + std::to_string(units) + ":relu:l2=0.01-10:softmax";
    table.run(spec, {percent, epochs_run}, [&](std::uint64_t seed) {
      engine::Network network{spec, Seed{seed}};
      const std::filesystem::path best = folder / "best.ctnn";
      const History history = fit<32>(
          network, data.train,
          {.epochs = experiments::epochs(flags, 200), .optimizer = RMSprop{.learning_rate = 0.001f},
           .loss = CategoricalCrossentropy{}, .validation_split = 5000.0 / 60000.0,
           .callbacks = {EarlyStopping{.monitor = "val_accuracy", .patience = 2},
                         ModelCheckpoint{.path = best, .monitor = "val_loss", .save_best_only = true}},
           .seed = seed, .threads = flags.threads});
      io::load_into(network, best);
      return experiments::Outcome{evaluate(network, data.test).accuracy, history.epochs()};
    });
  }
  train_reduced_features(flags, data, folder, table);
  std::filesystem::remove_all(folder);
}

int main(int argc, char** argv) {
  return experiments::run_notebook(argc, argv, "seed001",
                                   "Notebook seed 001: the width sweep of one hidden layer on MNIST, early stopping.",
                                   "mnist", train_models);
}
