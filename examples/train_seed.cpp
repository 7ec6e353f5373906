// The seed experiment: 784-400-20-10 ReLU/softmax trained with SGD on Fashion-MNIST, by the code
// generated from its type or (--engine, --spec) by the generic engine, through the same fit().
//   train_seed [--epochs N] [--learning-rate X] [--data DIR] [--seed N] [--engine | --spec SPEC]
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctnn/ctnn.hpp>
#include <string>
#include <string_view>

using SeedNet = ctnn::Net<ctnn::Dense<784, 400, ctnn::ReLU>,
                          ctnn::Dense<400, 20>,  // default activation: ReLU
                          ctnn::Softmax<10>>;    // 20 -> 10 dense + softmax
constexpr std::size_t batch_size = 200;

struct Flags {
  std::size_t epochs = 10;
  float learning_rate = 0.01f;
  std::string data = ctnn::io::default_data_directory.string();
  std::uint64_t seed = 42;
  std::string spec;  // empty: the generated SeedNet
};

constexpr const char* usage =
    "usage: train_seed [--epochs N] [--learning-rate X] [--data DIR] [--seed N]\n"
    "  --epochs N         passes over the training set (default 10)\n"
    "  --learning-rate X  SGD learning rate (default 0.01)\n"
    "  --data DIR         directory of MNIST-format IDX files, gzipped or not\n"
    "                     (default /usr/share/datasets/fashion-mnist)\n"
    "  --seed N           seed of the initial weights and the shuffling (default 42)\n"
    "  --engine           train SeedNet's generic twin (the run-time engine) instead of the generated code\n"
    "  --spec SPEC        train any network with the generic engine, e.g. 784-128:relu-10:softmax\n";

template <class T>
T parse_number(std::string_view flag, std::string_view text) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size())
    throw ctnn::Error(std::string(flag) + " expects a number, not '" + std::string(text) + "'");
  return value;
}

Flags parse_flags(int argc, char** argv) {
  Flags flags;
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
    if (flag == "--epochs") flags.epochs = parse_number<std::size_t>(flag, value());
    else if (flag == "--learning-rate") flags.learning_rate = parse_number<float>(flag, value());
    else if (flag == "--data") flags.data = value();
    else if (flag == "--seed") flags.seed = parse_number<std::uint64_t>(flag, value());
    else if (flag == "--engine") flags.spec = SeedNet::spec();
    else if (flag == "--spec") flags.spec = ctnn::engine::parse_spec(value()).to_string();  // errors before any work
    else throw ctnn::Error("unknown flag '" + std::string(flag) + "'");
  }
  return flags;
}

// Trains either backend the same way and reports on the test set.
template <ctnn::Backend M>
void train(M& model, const ctnn::TrainTestData& data, const Flags& flags) {
  std::printf("SGD with learning rate %g, batch size %zu, epochs: %zu, SIMD: %s\n", double(flags.learning_rate),
              batch_size, flags.epochs, ctnn::simd::architecture_name());
  ctnn::fit<batch_size>(model, data.train,
                        {.epochs = flags.epochs,
                         .optimizer = ctnn::SGD{.learning_rate = flags.learning_rate},
                         .validation = data.test,
                         .seed = flags.seed});
  const ctnn::Evaluation test = ctnn::evaluate(model, data.test);
  std::printf("test loss %.4f, test accuracy %.4f\n", test.loss, test.accuracy);
}

int main(int argc, char** argv) {
  try {
    const Flags flags = parse_flags(argc, argv);
    const auto data = ctnn::io::load_idx(flags.data);
    std::printf("data: %zu training and %zu test images of %zux%zu from %s\n", data.train.count, data.test.count,
                data.train.image_rows, data.train.image_cols, flags.data.c_str());
    if (flags.spec.empty()) {
      std::printf("%s (generated code): %zu parameters\n", SeedNet::describe().c_str(), SeedNet::param_count);
      ctnn::Model<SeedNet> model{ctnn::Seed{flags.seed}};
      train(model, data, flags);
    } else {
      ctnn::engine::Network network{flags.spec, ctnn::Seed{flags.seed}};
      std::printf("%s (generic engine): %zu parameters\n", network.describe().c_str(), network.param_count());
      train(network, data, flags);
    }
  } catch (const ctnn::Error& error) {
    std::fprintf(stderr, "train_seed: %s\n", error.what());
    std::fprintf(stderr, "(train_seed --help lists the flags)\n");
    return 1;
  }
}
