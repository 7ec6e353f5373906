// Notebook seed 001 on the MNIST digits: one hidden ReLU layer of H units with L2(0.01), H from 1 to 500,
// RMSprop at 0.001 in batches of 32, categorical cross-entropy, the last 5,000 training images held out
// (Keras's validation_split), EarlyStopping on val_accuracy with patience 2 (at most 200 epochs) and
// ModelCheckpoint keeping the best val_loss; the test accuracy is the best checkpoint's. One program
// trains eight widths, so they run on the generic engine from a spec each rather than as eight types.
// (Experiments 9 and 10 of the notebook, PCA and a random forest's pixels, are not here yet.)
#include <filesystem>
#include <tuple>
#include <unistd.h>

#include "notebook.hpp"

using namespace ctnn;

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
  std::filesystem::remove_all(folder);
}

int main(int argc, char** argv) {
  return experiments::run_notebook(argc, argv, "seed001",
                                   "Notebook seed 001: the width sweep of one hidden layer on MNIST, early stopping.",
                                   "mnist", train_models);
}
