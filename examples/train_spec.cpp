// Trains any network given as a spec with the generic engine, through the same fit() as the
// generated code; `--spec` of SeedNet's spec reproduces the main job number for number.
//   train_spec SPEC [--epochs N] [--batch N] [--learning-rate X] [--data DIR] [--seed N]
//   train_spec 784-400:relu-20:relu-10:softmax --epochs 10 --batch 200
#include <cstdio>
#include <new>
#include <ctnn/ctnn.hpp>
#include <string>
#include <string_view>

#include "flags.hpp"

namespace {

struct Flags {
  ctnn::engine::NetworkSpec spec;
  std::size_t epochs = 10, batch = 200;
  float learning_rate = 0.01f;
  std::string data = ctnn::io::default_data_directory.string();
  std::uint64_t seed = 42;
};

constexpr const char* usage =
    "usage: train_spec SPEC [--epochs N] [--batch N] [--learning-rate X] [--data DIR] [--seed N]\n"
    "  SPEC               the network, e.g. 784-400:relu:l2=0.01-20:relu-10:softmax, or @FILE for a spec file\n"
    "  --epochs N         passes over the training set (default 10)\n"
    "  --batch N          mini-batch size (default 200)\n"
    "  --learning-rate X  SGD learning rate (default 0.01)\n"
    "  --data DIR         directory of MNIST-format IDX files, gzipped or not\n"
    "  --seed N           seed of the initial weights and the shuffling (default 42)\n";

Flags parse_flags(int argc, char** argv) {
  Flags flags;
  bool have_spec = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(usage, stdout);
      std::exit(0);
    }
    const auto value = [&] {
      if (i + 1 >= argc) throw ctnn::Error(std::string(flag) + " needs a value");
      return std::string_view(argv[++i]);
    };
    if (flag == "--epochs") flags.epochs = examples::parse_number<std::size_t>(flag, value());
    else if (flag == "--batch") flags.batch = examples::parse_number<std::size_t>(flag, value());
    else if (flag == "--learning-rate") flags.learning_rate = examples::parse_number<float>(flag, value());
    else if (flag == "--data") flags.data = value();
    else if (flag == "--seed") flags.seed = examples::parse_number<std::uint64_t>(flag, value());
    else if (flag.starts_with("--")) throw ctnn::Error("unknown flag '" + std::string(flag) + "'");
    else if (have_spec) throw ctnn::Error("one network spec only; '" + std::string(flag) + "' is a second one");
    else {
      flags.spec = flag.starts_with("@") ? ctnn::engine::load_spec(flag.substr(1)) : ctnn::engine::parse_spec(flag);
      have_spec = true;
    }
  }
  if (!have_spec) throw ctnn::Error("no network spec given");
  return flags;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Flags flags = parse_flags(argc, argv);
    const auto data = ctnn::io::load_idx(flags.data);
    ctnn::engine::Network network{flags.spec, ctnn::Seed{flags.seed}};
    std::printf("%s (generic engine): %zu parameters\n", network.describe().c_str(), network.param_count());
    std::printf("SGD with learning rate %g, batch size %zu, epochs: %zu, SIMD: %s\n", double(flags.learning_rate),
                flags.batch, flags.epochs, ctnn::simd::architecture_name());
    ctnn::engine::fit(network, data.train, flags.batch,
                      {.epochs = flags.epochs,
                       .optimizer = ctnn::SGD{.learning_rate = flags.learning_rate},
                       .validation = data.test,
                       .seed = flags.seed});
    const ctnn::Evaluation test = ctnn::evaluate(network, data.test);
    std::printf("test loss %.4f, test accuracy %.4f\n", test.loss, test.accuracy);
  } catch (const ctnn::Error& error) {
    std::fprintf(stderr, "train_spec: %s\n(train_spec --help lists the flags)\n", error.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "train_spec: not enough memory for this network and batch size\n");
    return 1;
  }
}
