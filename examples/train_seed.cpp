// The seed experiment: 784-400-20-10 ReLU/softmax trained with SGD on Fashion-MNIST.
//   train_seed [--epochs N] [--learning-rate X] [--data DIR] [--seed N]
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <span>
#include <ctnn/ctnn.hpp>
#include <string>
#include <string_view>

#include "flags.hpp"

using SeedNet = ctnn::Net<ctnn::Dense<784, 400, ctnn::ReLU>,
                          ctnn::Dense<400, 20>,  // default activation: ReLU
                          ctnn::Softmax<10>>;    // 20 -> 10 dense + softmax
constexpr std::size_t batch_size = 200;

const std::string usage = std::string("usage: train_seed [--epochs N] [--learning-rate X] [--data DIR] [--seed N] [--save FILE]\n") +
                          examples::TrainingFlags::usage;

examples::TrainingFlags parse_flags(int argc, char** argv) {
  examples::TrainingFlags flags;
  examples::for_each_argument(argc, argv, usage.c_str(), [&](std::string_view flag, auto&& value) { return flags.take(flag, value); });
  return flags;
}

int main(int argc, char** argv) {
  try {
    const examples::TrainingFlags flags = parse_flags(argc, argv);
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
    // Class names when the data is Fashion-MNIST's; label numbers otherwise (e.g. MNIST digits).
    std::error_code no_such_directory;
    const bool fashion = std::filesystem::equivalent(flags.data, ctnn::io::default_data_directory, no_such_directory);
    const std::span<const std::string> names = fashion ? std::span(ctnn::io::fashion_mnist_classes) : std::span<const std::string>{};
    const ctnn::ConfusionMatrix confusion = ctnn::confusion_matrix(model, data.test);
    std::printf("\n%s\nconfusion matrix (test set):\n%s", ctnn::ClassificationReport(confusion).to_string(names).c_str(),
                confusion.to_string(names).c_str());
    std::printf("top-2 accuracy %.4f\n", ctnn::top_k_accuracy(model, data.test, 2));
    flags.save_if_asked(model);
  } catch (const ctnn::Error& error) {
    std::fprintf(stderr, "train_seed: %s\n", error.what());
    std::fprintf(stderr, "(train_seed --help lists the flags)\n");
    return 1;
  }
}
