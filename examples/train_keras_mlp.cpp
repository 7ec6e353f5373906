// The Keras notebook MLP: Dense(64)-Dropout(0.2)-Dense(64)-Dropout(0.2)-Dense(10, softmax),
// RMSprop, batch 128, on Fashion-MNIST (or any MNIST-format directory).
//   train_keras_mlp [--epochs N] [--optimizer sgd|rmsprop|adam] [--learning-rate X] [--loss NAME] [--data DATA]
//                   [--seed N] [--save FILE] [--report DIR] [--backup DIR]
#include <cstdio>
#include <ctnn/ctnn.hpp>
#include <string>
#include <string_view>

#include "flags.hpp"
#include "test_report.hpp"

using KerasMlp = ctnn::Net<ctnn::Dense<784, 64, ctnn::ReLU>, ctnn::Dropout<0.2>,
                           ctnn::Dense<64, 64, ctnn::ReLU>, ctnn::Dropout<0.2>,
                           ctnn::Softmax<10>>;
constexpr std::size_t batch_size = 128;

int main(int argc, char** argv) {
  try {
    examples::TrainingFlags flags;
    flags.epochs = 20;
    flags.optimizer = "rmsprop";
    const std::string usage = "usage: train_keras_mlp [--epochs N] [--optimizer NAME] [--learning-rate X] [--loss NAME] "
                              "[--data DATA] [--seed N] [--save FILE] [--report DIR] [--backup DIR]\n" +
                              flags.usage();
    examples::for_each_argument(argc, argv, usage.c_str(),
                                [&](std::string_view flag, auto&& value) { return flags.take(flag, value); });
    const auto data = ctnn::io::load_data_set(flags.data);
    KerasMlp::print_summary();
    std::printf("%s, batch size %zu, epochs: %zu, data: %s\n", flags.describe_optimizer().c_str(), flags.batch_or(batch_size),
                flags.epochs, flags.data.c_str());

    ctnn::Model<KerasMlp> model{ctnn::Seed{flags.seed}};
    const ctnn::History history =
        ctnn::fit<batch_size>(model, data.train, flags.fit_options(data.test, data.test));
    flags.write_history_if_asked(history);
    examples::print_test_report(model, data.test, flags.data, flags.loss);
    flags.save_if_asked(model);
    flags.report_if_asked("train_keras_mlp", model, history, data.test, flags.batch_or(batch_size));
  } catch (const ctnn::Error& error) {
    std::fprintf(stderr, "train_keras_mlp: %s\n(train_keras_mlp --help lists the flags)\n", error.what());
    return 1;
  }
}
