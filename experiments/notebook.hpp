// What every notebook program of experiments/ shares: its flags, the quick mode CTest runs, timing one
// model's protocol, and the table that puts ctnn's test accuracy beside the notebook's published one.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctnn/ctnn.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace experiments {

struct Flags {
  bool quick = false;  // a few hundred images and one epoch per model: checks the program runs, says nothing of accuracy
  std::string data;    // a --data value (io::data_directory): "mnist", "fashion-mnist" or a folder
  std::size_t seeds = 1;  // each model trained with seeds 1..seeds; the table gives their mean
  std::size_t threads = 0;
  std::string only;     // train only the models whose name contains this
  std::string csv;      // one row per model and seed, for the README's table and the PyTorch comparison
};

inline Flags parse_flags(int argc, char** argv, const char* program, const char* about, const char* default_data) {
  Flags flags;
  flags.data = default_data;
  const auto usage = [&] {
    std::printf("usage: %s [--quick] [--seeds N] [--only TEXT] [--data DATA] [--threads N] [--csv FILE]\n%s\n"
                "  --quick      a few hundred images and one epoch per model (what CTest runs)\n"
                "  --seeds N    train each model with seeds 1..N and report the mean (default 1)\n"
                "  --only TEXT  only the models whose name contains TEXT\n"
                "  --data DATA  the data set (default %s): mnist, fashion-mnist, a folder of IDX files or an .npz\n"
                "  --threads N  training threads (default: all)\n"
                "  --csv FILE   also write one row per model and seed\n",
                program, about, default_data);
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw ctnn::Error(std::string(flag) + " needs a value");
      return argv[++i];
    };
    const auto count = [&]() -> std::size_t {
      const std::string text = value();
      char* end = nullptr;
      const unsigned long long n = std::strtoull(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || n == 0 || n > 1000)
        throw ctnn::Error(std::string(flag) + " takes a whole number from 1 to 1000, not '" + text + "'");
      return std::size_t(n);
    };
    if (flag == "--help" || flag == "-h") usage(), std::exit(0);
    else if (flag == "--quick") flags.quick = true;
    else if (flag == "--seeds") flags.seeds = count();
    else if (flag == "--threads") flags.threads = count();
    else if (flag == "--only") flags.only = value();
    else if (flag == "--data") flags.data = value();
    else if (flag == "--csv") flags.csv = value();
    else throw ctnn::Error("unknown flag '" + std::string(flag) + "' (--help lists them)");
  }
  return flags;
}

// The data a protocol trains on: the whole sets, or in quick mode their first rows.
struct Data {
  ctnn::TrainTestData sets;
  ctnn::DatasetView train, test;
};

inline Data load(const Flags& flags) {
  Data data{ctnn::io::load_data_set(ctnn::io::data_directory(flags.data)), {}, {}};
  data.train = data.sets.train.view();
  data.test = data.sets.test.view();
  if (flags.quick) data.train = data.train.slice(0, std::min<std::size_t>(600, data.train.count)),
                   data.test = data.test.slice(0, std::min<std::size_t>(300, data.test.count));
  std::printf("data: %zu training and %zu test images from %s%s\n", data.train.count, data.test.count, flags.data.c_str(),
              flags.quick ? " (quick: the first rows only, one epoch per model)" : "");
  return data;
}

// What one training run of a model ends with.
struct Outcome {
  double test_accuracy = 0.0;
  std::size_t epochs = 0;
  double seconds = 0.0;
};

// What the notebook printed for a model: its test accuracy in percent (none when the notebook gives
// none), and the epochs it ran when early stopping decided them (0: not given).
struct Published {
  Published(double percent, std::size_t epochs_run = 0) : accuracy(percent), epochs(epochs_run) {}
  Published(std::nullopt_t) {}
  std::optional<double> accuracy;
  std::size_t epochs = 0;
};

// The notebook's models in the order trained, each with its runs.
class Table {
 public:
  Table(std::string notebook, const Flags& flags) : notebook_(std::move(notebook)), flags_(flags) {}

  // Runs train(seed) -> Outcome for every seed (the outcome's seconds are measured here, around the call).
  template <class Train>
  void run(const std::string& model, Published published, Train&& train) {
    if (!flags_.only.empty() && model.find(flags_.only) == std::string::npos) return;
    Row row{model, published, {}};
    for (std::size_t seed = 1; seed <= flags_.seeds; ++seed) {
      std::printf("\n== %s: %s, seed %zu\n", notebook_.c_str(), model.c_str(), seed);
      std::fflush(stdout);
      const auto started = std::chrono::steady_clock::now();
      Outcome outcome = train(std::uint64_t(seed));
      outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      std::printf("== %s: test accuracy %.2f%% after %zu epochs, %.1f s\n", model.c_str(), 100.0 * outcome.test_accuracy,
                  outcome.epochs, outcome.seconds);
      row.runs.push_back(outcome);
    }
    rows_.push_back(std::move(row));
  }

  // The table: published, ctnn's mean (and spread over seeds), the difference, epochs, seconds.
  void print() const {
    std::printf("\n%s%s: test accuracy, published beside ctnn's (mean of %zu seed%s)\n", notebook_.c_str(),
                flags_.quick ? " (quick run: not comparable)" : "", flags_.seeds, flags_.seeds > 1 ? "s" : "");
    std::printf("| %-66s | %9s | %14s | %10s | %12s | %8s |\n", "model", "published", "ctnn", "difference",
                "epochs (pub.)", "seconds");
    std::printf("|%s|%s|%s|%s|%s|%s|\n", std::string(68, '-').c_str(), std::string(11, '-').c_str(),
                std::string(16, '-').c_str(), std::string(12, '-').c_str(), std::string(14, '-').c_str(),
                std::string(10, '-').c_str());
    double total_seconds = 0.0;
    for (const Row& row : rows_) {
      double mean = 0.0, epochs = 0.0, seconds = 0.0;
      for (const Outcome& run : row.runs) mean += run.test_accuracy, epochs += double(run.epochs), seconds += run.seconds;
      const double n = double(row.runs.size());
      mean /= n, epochs /= n, total_seconds += seconds;
      double spread = 0.0;
      for (const Outcome& run : row.runs) spread += (run.test_accuracy - mean) * (run.test_accuracy - mean);
      spread = row.runs.size() > 1 ? std::sqrt(spread / (n - 1)) : 0.0;
      char published[16] = "-", ctnn_text[32], difference[16] = "-", epochs_text[32];
      const std::optional<double>& percent = row.published.accuracy;
      if (percent) std::snprintf(published, sizeof published, "%.2f%%", *percent);
      if (row.published.epochs) std::snprintf(epochs_text, sizeof epochs_text, "%.1f (%zu)", epochs, row.published.epochs);
      else std::snprintf(epochs_text, sizeof epochs_text, "%.1f", epochs);
      if (row.runs.size() > 1) std::snprintf(ctnn_text, sizeof ctnn_text, "%.2f%% ±%.2f", 100.0 * mean, 100.0 * spread);
      else std::snprintf(ctnn_text, sizeof ctnn_text, "%.2f%%", 100.0 * mean);
      if (percent) std::snprintf(difference, sizeof difference, "%+.2f", 100.0 * mean - *percent);
      std::printf("| %-66s | %9s | %14s | %10s | %12s | %8.1f |\n", row.model.c_str(), published, ctnn_text, difference,
                  epochs_text, seconds / n);
    }
    std::printf("whole experiment: %.1f s on %s, SIMD %s\n", total_seconds, machine_name().c_str(),
                ctnn::simd::architecture_name());
  }

  // One line per model and seed: notebook,model,published,seed,test_accuracy,epochs,seconds.
  void write_csv(const std::string& path) const {
    std::string text = "notebook,model,published,seed,test_accuracy,epochs,seconds\n";
    for (const Row& row : rows_)
      for (std::size_t s = 0; s < row.runs.size(); ++s) {
        char line[512];
        std::snprintf(line, sizeof line, "%s,\"%s\",%s,%zu,%.6f,%zu,%.3f\n", notebook_.c_str(), row.model.c_str(),
                      row.published.accuracy ? std::to_string(*row.published.accuracy).c_str() : "", s + 1, row.runs[s].test_accuracy,
                      row.runs[s].epochs, row.runs[s].seconds);
        text += line;
      }
    ctnn::io::write_file_atomically(path, text);
  }

  void finish() const {
    print();
    if (!flags_.csv.empty()) write_csv(flags_.csv);
  }

 private:
  struct Row {
    std::string model;
    Published published;
    std::vector<Outcome> runs;
  };
  static std::string machine_name() {
    std::FILE* cpuinfo = std::fopen("/proc/cpuinfo", "r");
    std::string name = "this machine";
    if (!cpuinfo) return name;
    char line[512];
    while (std::fgets(line, sizeof line, cpuinfo))
      if (std::string_view(line).starts_with("model name")) {
        std::string_view text(line);
        text.remove_prefix(text.find(':') + 2);
        if (text.ends_with('\n')) text.remove_suffix(1);
        name = std::string(text);
        break;
      }
    std::fclose(cpuinfo);
    return name;
  }

  std::string notebook_;
  Flags flags_;
  std::vector<Row> rows_;
};

// Keras's non-trainable parameter count of a network type (BatchNorm's moving statistics).
template <class N>
constexpr std::size_t non_trainable_count() {
  std::size_t total = 0;
  for (const auto& list : N::tensors)
    for (const auto& tensor : list)
      if (!tensor.trainable) total += tensor.elements();
  return total;
}

// A notebook program's main: its flags and data, then body(flags, data, table) trains the models into
// the table, which is printed (and written with --csv) at the end; a ctnn::Error ends it with its message.
template <class Body>
int run_notebook(int argc, char** argv, const char* program, const char* about, const char* default_data, Body&& body) {
  try {
    const Flags flags = parse_flags(argc, argv, program, about, default_data);
    const Data data = load(flags);
    Table table(program, flags);
    body(flags, data, table);
    table.finish();
    return 0;
  } catch (const ctnn::Error& error) {
    std::fprintf(stderr, "%s: %s\n", program, error.what());
    return 1;
  }
}

// The epochs a protocol runs: its own, or one in quick mode.
inline std::size_t epochs(const Flags& flags, std::size_t protocol_epochs) { return flags.quick ? 1 : protocol_epochs; }

}  // namespace experiments
