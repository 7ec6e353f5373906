// The seed experiment: 784-400-20-10 ReLU/softmax trained with SGD on Fashion-MNIST.
//   train_seed [--epochs N] [--optimizer sgd|rmsprop|adam] [--learning-rate X] [--loss NAME] [--data DATA] [--seed N]
//              [--save FILE] [--report DIR] [--backup DIR] [--mpi [--shard]]
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <span>
#include <ctnn/ctnn.hpp>
#include <string>
#include <string_view>

#include "distributed_run.hpp"
#include "flags.hpp"
#include "test_report.hpp"

using SeedNet = ctnn::Net<ctnn::Dense<784, 400, ctnn::ReLU>,
                          ctnn::Dense<400, 20>,  // default activation: ReLU
                          ctnn::Softmax<10>>;    // 20 -> 10 dense + softmax
constexpr std::size_t batch_size = 200;

examples::TrainingFlags parse_flags(int argc, char** argv) {
  examples::TrainingFlags flags;
  const std::string usage =
      "usage: train_seed [--epochs N] [--optimizer NAME] [--learning-rate X] [--loss NAME] [--data DATA] [--seed N] "
      "[--save FILE] [--report DIR] [--backup DIR]\n" + flags.usage();
  examples::for_each_argument(argc, argv, usage.c_str(), [&](std::string_view flag, auto&& value) { return flags.take(flag, value); });
  return flags;
}

int main(int argc, char** argv) {
  examples::DistributedRun run;
  try {
    run.start(argc, argv);
    examples::TrainingFlags flags = parse_flags(argc, argv);
    run.share(flags);
    const auto data = ctnn::io::load_data_set(flags.data, run.training_rows(flags));
    std::printf("%s: %zu parameters\n", SeedNet::describe().c_str(), SeedNet::param_count);
    std::printf("data: %zu training and %zu test images of %zux%zu from %s%s\n",
                data.train.is_shard() ? data.train.whole_count : data.train.count, data.test.count, data.train.image_rows,
                data.train.image_cols, flags.data.c_str(), data.train.is_shard() ? ", the training images in shards" : "");
    std::printf("%s, batch size %zu, epochs: %zu, SIMD: %s\n", flags.describe_optimizer().c_str(), flags.batch_or(batch_size),
                flags.epochs, ctnn::simd::architecture_name());

    ctnn::Model<SeedNet> model{ctnn::Seed{flags.seed}};
    ctnn::FitOptions options = flags.fit_options(data.test, data.test);
    options.collective = run.collective();
    const ctnn::History history = ctnn::fit<batch_size>(model, data.train, options);
    flags.write_history_if_asked(history);
    examples::print_test_report(model, data.test, flags.data, flags.loss);
    flags.save_if_asked(model);
    flags.report_if_asked("train_seed", model, history, data.test, flags.batch_or(batch_size));
  } catch (const ctnn::Error& error) {
    return run.fail("train_seed", error);
  }
}
