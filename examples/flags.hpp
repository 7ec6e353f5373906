// Command-line flags of the example programs.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <ctnn/error.hpp>
#include <ctnn/io/data_sets.hpp>
#include <ctnn/io/model_file.hpp>
#include <ctnn/dsl/losses.hpp>
#include <ctnn/dsl/optimizers.hpp>
#include <ctnn/train/callbacks.hpp>
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

  std::string epochs_default;  // the help's words for the default epochs, when they depend on other flags

  // The flags' help, with this example's defaults.
  std::string usage() const {
    char defaults[512];
    std::snprintf(defaults, sizeof defaults,
                  "  --epochs N         passes over the training set (default %s)\n"
                  "  --optimizer NAME   sgd, rmsprop or adam, with Keras's defaults (default %s)\n"
                  "  --learning-rate X  the optimiser's learning rate (default %g)\n"
                  "  --loss NAME        sparse_categorical_crossentropy (default), categorical_crossentropy[=smoothing]\n"
                  "                     or mean_squared_error (mse), on the softmax probabilities\n",
                  epochs_default.empty() ? std::to_string(epochs).c_str() : epochs_default.c_str(), optimizer.c_str(),
                  double(ctnn::learning_rate_of(make_optimizer())));
    return std::string(defaults) +
           "  --data DATA        fashion-mnist (the default, /usr/share/datasets/fashion-mnist), mnist (the\n"
           "                     digits, after scripts/get-mnist.sh), a directory of MNIST-format IDX files,\n"
           "                     gzipped or not, or an .npz archive as Keras's mnist.npz\n"
           "  --seed N           seed of the initial weights, the shuffling and dropout (default 42)\n"
           "  --save FILE        write the trained model to FILE (a ctnn model file, for ctnn-export)\n"
           "  --report DIR       write a run folder for ctnn-plot: history (after each epoch), weights, test\n"
           "                     predictions, confusion matrix, sample and misclassified images\n"
           "  --backup DIR       keep the whole training state in DIR after each epoch; the same command run\n"
           "                     again after a crash or a kill resumes where it stopped, bit for bit\n"
           "  --backup-every N   also back up every N batches (with --backup)\n";
  }

  // The chosen optimiser with Keras's defaults and the chosen learning rate.
  ctnn::Optimizer make_optimizer() const {
    ctnn::Optimizer chosen = optimizer == "rmsprop" ? ctnn::Optimizer{ctnn::RMSprop{}}
                             : optimizer == "adam"  ? ctnn::Optimizer{ctnn::Adam{}}
                                                    : ctnn::Optimizer{ctnn::SGD{}};
    if (learning_rate != 0.0f) ctnn::set_learning_rate(chosen, learning_rate);
    return chosen;
  }
  // "RMSprop with learning rate 0.001, loss sparse_categorical_crossentropy"
  std::string describe_optimizer() const {
    char text[96];
    const ctnn::Optimizer chosen = make_optimizer();
    std::snprintf(text, sizeof text, "%s with learning rate %g, loss ", ctnn::optimizer_name(chosen),
                  double(ctnn::learning_rate_of(chosen)));
    return text + ctnn::loss_name(loss);
  }

  // Writes the trained model when --save was given.
  template <class M>
  void save_if_asked(const M& model) const {
    if (save.empty()) return;
    ctnn::io::save(model, save);
    std::printf("saved %s\n", save.c_str());
  }

  // The callbacks the flags ask for: --report's history after each epoch (for ctnn-plot --watch),
  // --backup's training state.
  std::vector<ctnn::Callback> callbacks() const {
    std::vector<ctnn::Callback> chosen;
    if (!report.empty()) {
      std::error_code error;
      std::filesystem::create_directories(report, error);
      if (error) throw ctnn::Error(report + ": cannot create the run folder: " + error.message());
      chosen.push_back(ctnn::CSVLogger{std::filesystem::path(report) / "history.csv"});
    }
    if (!backup.empty()) chosen.push_back(ctnn::BackupAndRestore{.backup_dir = backup, .save_freq = backup_every});
    else if (backup_every != 0) throw ctnn::Error("--backup-every needs --backup DIR");
    return chosen;
  }

  // Writes the run folder when --report was given.
  template <class M>
  void report_if_asked(const char* program, M& model, const ctnn::History& history, const ctnn::Dataset& test,
                       std::size_t batch_size) const {
    if (report.empty()) return;
    ctnn::write_run_folder(report, model, history, test,
                           {.program = program,
                            .data = data,
                            .class_names = std::vector<std::string>(ctnn::io::class_names_of(data).begin(),
                                                                    ctnn::io::class_names_of(data).end()),
                            .options = {{"optimizer", describe_optimizer()},
                                        {"batch size", std::to_string(batch_size)},
                                        {"epochs", std::to_string(epochs)},
                                        {"seed", std::to_string(seed)}}},
                           loss);
    std::printf("wrote the run folder %s (ctnn-plot %s draws its figures)\n", report.c_str(), report.c_str());
  }

  // Takes `flag` if it is one of these; false otherwise.
  template <class Value>
  bool take(std::string_view flag, Value&& value) {
    if (flag == "--epochs") epochs = parse_number<std::size_t>(flag, value());
    else if (flag == "--optimizer") {
      optimizer = value();
      if (optimizer != "sgd" && optimizer != "rmsprop" && optimizer != "adam")
        throw ctnn::Error("--optimizer takes sgd, rmsprop or adam, not '" + optimizer + "'");
    }
    else if (flag == "--learning-rate") {
      const std::string_view text = value();
      learning_rate = parse_number<float>(flag, text);
      // Rates that train are near the defaults; one far above them only makes the loss diverge.
      if (!(learning_rate > 0.0f && learning_rate <= 10.0f))
        throw ctnn::Error("--learning-rate " + std::string(text) +
                          " is outside (0, 10]; rates that train are near the optimisers' defaults (sgd 0.01, "
                          "rmsprop and adam 0.001)");
    }
    else if (flag == "--loss") loss = ctnn::parse_loss(std::string(value()));
    else if (flag == "--data") data = ctnn::io::data_directory(value()).string();
    else if (flag == "--seed") seed = parse_number<std::uint64_t>(flag, value());
    else if (flag == "--save") save = value();
    else if (flag == "--report") report = value();
    else if (flag == "--backup") backup = value();
    else if (flag == "--backup-every") {
      backup_every = parse_number<std::size_t>(flag, value());
      if (backup_every == 0) throw ctnn::Error("--backup-every takes a number of batches of at least 1");
    }
    else return false;
    return true;
  }
};

}  // namespace examples
