// Trains any network given as a spec with the generic engine, through the same fit() as the
// generated code; `--spec` of SeedNet's spec reproduces the main job number for number.
//   train_spec SPEC [--epochs N] [--batch N] [--learning-rate X] [--loss NAME] [--data DATA] [--seed N] [--save FILE] [--report DIR] [--backup DIR]
//   train_spec 784-400:relu-20:relu-10:softmax --epochs 10 --batch 200
#include <cstdio>
#include <new>
#include <ctnn/ctnn.hpp>
#include <string>
#include <string_view>

#include "flags.hpp"

namespace {

struct Flags : examples::TrainingFlags {
  ctnn::engine::NetworkSpec spec;
  std::size_t batch = 200;
};

Flags parse_flags(int argc, char** argv) {
  Flags flags;
  const std::string usage =
      "usage: train_spec SPEC [--batch N] [--epochs N] [--optimizer NAME] [--learning-rate X] [--loss NAME] [--data DATA] [--seed N] "
      "[--save FILE] [--report DIR] [--backup DIR]\n"
      "  SPEC               the network, e.g. 784-400:relu:l2=0.01-20:relu-10:softmax, or @FILE for a spec file\n"
      "  --batch N          mini-batch size (default 200; --batch-size N says the same)\n" +
      flags.usage();
  bool have_spec = false;
  examples::for_each_argument(argc, argv, usage.c_str(), [&](std::string_view argument, auto&& value) {
    if (argument == "--batch") flags.batch = examples::parse_number<std::size_t>(argument, value());
    else if (flags.take(argument, value)) return true;
    else if (argument.starts_with("--")) return false;
    else if (have_spec) throw ctnn::Error("one network spec only; '" + std::string(argument) + "' is a second one");
    else {
      flags.spec = argument.starts_with("@") ? ctnn::engine::load_spec(argument.substr(1)) : ctnn::engine::parse_spec(argument);
      have_spec = true;
    }
    return true;
  });
  if (!have_spec) throw ctnn::Error("no network spec given");
  return flags;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Flags flags = parse_flags(argc, argv);
    const auto data = ctnn::io::load_data_set(flags.data);
    ctnn::engine::Network network{flags.spec, ctnn::Seed{flags.seed}};
    std::printf("%s (generic engine): %zu parameters\n", network.describe().c_str(), network.param_count());
    const std::size_t batch = flags.batch_size ? flags.batch_size : flags.batch;  // --batch-size, or --batch
    std::printf("%s, batch size %zu, epochs: %zu, SIMD: %s\n", flags.describe_optimizer().c_str(), batch, flags.epochs,
                ctnn::simd::architecture_name());
    const ctnn::History history = ctnn::engine::fit(network, data.train, batch, flags.fit_options(data.test, data.test));
    flags.write_history_if_asked(history);
    const ctnn::Evaluation test = ctnn::evaluate(network, data.test, flags.loss);
    std::printf("test loss %.4f, test accuracy %.4f\n", test.loss, test.accuracy);
    flags.save_if_asked(network);
    flags.report_if_asked("train_spec", network, history, data.test, batch);
  } catch (const ctnn::Error& error) {
    std::fprintf(stderr, "train_spec: %s\n(train_spec --help lists the flags)\n", error.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "train_spec: not enough memory for this network and batch size\n");
    return 1;
  }
}
