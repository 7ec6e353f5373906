// Command-line flags of the example programs.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <ctnn/error.hpp>
#include <ctnn/io/data_sets.hpp>
#include <ctnn/io/model_file.hpp>
#include <ctnn/dsl/losses.hpp>
#include <ctnn/dsl/optimizers.hpp>
#include <ctnn/train/callbacks.hpp>
#include <ctnn/train/fit.hpp>
#include <ctnn/train/history_files.hpp>
#include <ctnn/train/run_folder.hpp>

namespace examples {

template <class T>
T parse_number(std::string_view flag, std::string_view text) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size())
    throw ctnn::Error(std::string(flag) + " expects a number, not '" + std::string(text) + "'");
  return value;
}

// Walks the command line: --help (or -h) prints `usage` and exits; handle(argument, value) sees
// every other argument, value() taking the next one as its value; handle returns false for an
// argument it does not know.
template <class Handle>
void for_each_argument(int argc, char** argv, const char* usage, Handle&& handle) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view argument = argv[i];
    if (argument == "--help" || argument == "-h") {
      std::fputs(usage, stdout);
      std::exit(0);
    }
    const auto value = [&] {
      if (i + 1 >= argc) throw ctnn::Error(std::string(argument) + " needs a value");
      return std::string_view(argv[++i]);
    };
    if (!handle(argument, value)) throw ctnn::Error("unknown flag '" + std::string(argument) + "'");
  }
}

// The flags every training example takes.
struct TrainingFlags {
  std::size_t epochs = 10;
  std::string optimizer = "sgd";  // sgd, rmsprop or adam, with Keras's defaults but the learning rate
  float learning_rate = 0.0f;  // 0: the optimiser's default (SGD 0.01, RMSprop and Adam 0.001)
  ctnn::Loss loss;  // sparse categorical cross-entropy unless --loss names another
  std::string data = ctnn::io::default_data_directory.string();
  std::uint64_t seed = 42;
  std::string save;  // model file to write after training, if any
  std::string report;  // run folder to write, if any (see ctnn/train/run_folder.hpp)
  std::string backup;  // folder of the training state, to resume an interrupted run (BackupAndRestore)
  std::size_t backup_every = 0;  // batches between backups; 0: at the end of each epoch
  std::size_t batch_size = 0;    // rows per update; 0: the example's own
  float momentum = 0.0f;         // SGD's and RMSprop's
  bool nesterov = false;
  bool shard = false;            // --shard: with --mpi, each process reads only its share of the training rows
  std::string validation;        // "test", "none", or empty: the example's own choice
  double validation_split = 0.0;  // the last rows of the training set, as Keras's validation_split
  std::optional<ctnn::EarlyStopping> early_stopping;
  std::optional<ctnn::ModelCheckpoint> checkpoint;
  std::optional<ctnn::ReduceLROnPlateau> reduce_lr;
  std::vector<std::pair<std::size_t, float>> schedule;  // (first epoch, counted from 1; rate), in order
  std::string history_file;      // for the history: .csv (Keras's CSVLogger) or .json (history.history)

  std::string epochs_default;  // the help's words for the default epochs, when they depend on other flags

  // The flags' help, with this example's defaults.
  std::string usage() const;

  // The chosen optimiser with Keras's defaults and the chosen learning rate.
  ctnn::Optimizer make_optimizer() const;

  // The options of fit() the flags ask for: the example's own validation (data, or a split of the
  // training rows), unless --validation (the test set, or none) or --validation-split replaces it.
  ctnn::FitOptions fit_options(const ctnn::DatasetView& own_validation, const ctnn::DatasetView& test,
                               double own_split = 0.0) const;

  // The rows per update: --batch-size's, else the example's own.
  std::size_t batch_or(std::size_t own) const { return batch_size ? batch_size : own; }

  // Writes the history when --history was given.
  void write_history_if_asked(const ctnn::History& trained) const;
  // "RMSprop with learning rate 0.001, loss sparse_categorical_crossentropy"
  std::string describe_optimizer() const;

  // Writes the trained model when --save was given.
  template <class M>
  void save_if_asked(const M& model) const {
    if (save.empty()) return;
    ctnn::io::save(model, save);
    std::printf("saved %s\n", save.c_str());
  }

  // The callbacks the flags ask for: --report's history after each epoch (for ctnn-plot --watch),
  // --backup's training state.
  std::vector<ctnn::Callback> callbacks() const;

  // Writes the run folder when --report was given.
  template <class M>
  void report_if_asked(const char* program, M& model, const ctnn::History& trained, const ctnn::Dataset& test,
                       std::size_t rows_per_update) const {
    if (report.empty()) return;
    ctnn::write_run_folder(report, model, trained, test,
                           {.program = program,
                            .data = data,
                            .class_names = std::vector<std::string>(ctnn::io::class_names_of(data).begin(),
                                                                    ctnn::io::class_names_of(data).end()),
                            .options = {{"optimizer", describe_optimizer()},
                                        {"batch size", std::to_string(rows_per_update)},
                                        {"epochs", std::to_string(epochs)},
                                        {"seed", std::to_string(seed)}}},
                           loss);
    std::printf("wrote the run folder %s (ctnn-plot %s draws its figures)\n", report.c_str(), report.c_str());
  }

  // Takes `flag` if it is one of these, value() giving its value; false otherwise.
  bool take(std::string_view flag, const std::function<std::string_view()>& value);
};

}  // namespace examples
