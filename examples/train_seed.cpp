// The seed experiment: 784-400-20-10 ReLU/softmax trained with SGD on Fashion-MNIST.
//   train_seed [--epochs N] [--learning-rate X] [--data DIR] [--seed N]
#include <cstdio>
#include <cstring>
#include <ctnn/ctnn.hpp>
#include <string>
#include <string_view>

#include "flags.hpp"

using SeedNet = ctnn::Net<ctnn::Dense<784, 400, ctnn::ReLU>,
                          ctnn::Dense<400, 20>,  // default activation: ReLU
                          ctnn::Softmax<10>>;    // 20 -> 10 dense + softmax
constexpr std::size_t batch_size = 200;

struct Flags {
  std::size_t epochs = 10;
  float learning_rate = 0.01f;
  std::string data = ctnn::io::default_data_directory.string();
  std::uint64_t seed = 42;
};

constexpr const char* usage =
    "usage: train_seed [--epochs N] [--learning-rate X] [--data DIR] [--seed N]\n"
    "  --epochs N         passes over the training set (default 10)\n"
    "  --learning-rate X  SGD learning rate (default 0.01)\n"
    "  --data DIR         directory of MNIST-format IDX files, gzipped or not\n"
    "                     (default /usr/share/datasets/fashion-mnist)\n"
    "  --seed N           seed of the initial weights and the shuffling (default 42)\n";

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
    if (flag == "--epochs") flags.epochs = examples::parse_number<std::size_t>(flag, value());
    else if (flag == "--learning-rate") flags.learning_rate = examples::parse_number<float>(flag, value());
    else if (flag == "--data") flags.data = value();
    else if (flag == "--seed") flags.seed = examples::parse_number<std::uint64_t>(flag, value());
    else throw ctnn::Error("unknown flag '" + std::string(flag) + "'");
  }
  return flags;
}

int main(int argc, char** argv) {
  try {
    const Flags flags = parse_flags(argc, argv);
    const auto data = ctnn::io::load_idx(flags.data);
    std::printf("%s: %zu parameters\n", SeedNet::describe().c_str(), SeedNet::param_count);
    std::printf("data: %zu training and %zu test images of %zux%zu from %s\n", data.train.count, data.test.count,
                data.train.image_rows, data.train.image_cols, flags.data.c_str());
    std::printf("SGD with learning rate %g, batch size %zu, epochs: %zu, SIMD: %s\n", double(flags.learning_rate), batch_size,
                flags.epochs, ctnn::simd::architecture_name());

    ctnn::Model<SeedNet> model{ctnn::Seed{flags.seed}};
    ctnn::fit<batch_size>(model, data.train,
                          {.epochs = flags.epochs,
                           .optimizer = ctnn::SGD{.learning_rate = flags.learning_rate},
                           .validation = data.test,
                           .seed = flags.seed});
    const ctnn::Evaluation test = ctnn::evaluate(model, data.test);
    std::printf("test loss %.4f, test accuracy %.4f\n", test.loss, test.accuracy);
  } catch (const ctnn::Error& error) {
    std::fprintf(stderr, "train_seed: %s\n", error.what());
    std::fprintf(stderr, "(train_seed --help lists the flags)\n");
    return 1;
  }
}
