// The batch-normalisation notebook's MLP: Dense(600)-BatchNormalization-Dropout(0.5)-Dense(100)-
// BatchNormalization-Dropout(0.5)-Dense(10, softmax), weights drawn from RandomNormal(0, 0.05), Adam at
// batch 128, 5,000 of the 60,000 training images held out for validation (Keras's validation_split takes
// the last ones), EarlyStopping on val_accuracy with patience 2 restoring the best weights.
//   train_batchnorm_mlp [--epochs N] [--optimizer NAME] [--learning-rate X] [--loss NAME] [--data DATA] [--seed N]
//                       [--save FILE] [--report DIR] [--backup DIR] [--mpi [--shard]]
#include <cstdio>
#include <ctnn/ctnn.hpp>
#include <string>
#include <string_view>

#include "distributed_run.hpp"
#include "flags.hpp"
#include "test_report.hpp"

using Normal = ctnn::RandomNormal<0.0f, 0.05f>;
using BatchNormMlp = ctnn::Net<ctnn::Dense<784, 600, ctnn::ReLU, Normal>, ctnn::BatchNorm<>, ctnn::Dropout<0.5>,
                               ctnn::Dense<600, 100, ctnn::ReLU, Normal>, ctnn::BatchNorm<>, ctnn::Dropout<0.5>,
                               ctnn::Softmax<10, Normal>>;
constexpr std::size_t batch_size = 128;

int main(int argc, char** argv) {
  examples::DistributedRun run;
  try {
    run.start(argc, argv);
    examples::TrainingFlags flags;
    flags.epochs = 10;
    flags.optimizer = "adam";
    const std::string usage = "usage: train_batchnorm_mlp [--epochs N] [--optimizer NAME] [--learning-rate X] "
                              "[--loss NAME] [--data DATA] [--seed N] [--save FILE] [--report DIR] [--backup DIR]\n" +
                              flags.usage();
    examples::for_each_argument(argc, argv, usage.c_str(),
                                [&](std::string_view flag, auto&& value) { return flags.take(flag, value); });
    run.share(flags);
    const auto data = ctnn::io::load_data_set(flags.data, run.training_rows(flags));
    BatchNormMlp::print_summary();
    std::printf("%s, batch size %zu, epochs: %zu, data: %s\n", flags.describe_optimizer().c_str(), flags.batch_or(batch_size),
                flags.epochs, flags.data.c_str());

    ctnn::Model<BatchNormMlp> model{ctnn::Seed{flags.seed}};
    ctnn::FitOptions options = flags.fit_options({}, data.test, 5000.0 / 60000.0);
    options.collective = run.collective();
    if (!flags.early_stopping)
      options.callbacks.push_back(ctnn::EarlyStopping{.monitor = "val_accuracy", .patience = 2, .restore_best_weights = true});
    const ctnn::History history = ctnn::fit<batch_size>(model, data.train, options);
    flags.write_history_if_asked(history);
    std::printf("trained %zu epochs\n", history.epochs());
    examples::print_test_report(model, data.test, flags.data, flags.loss);
    flags.save_if_asked(model);
    flags.report_if_asked("train_batchnorm_mlp", model, history, data.test, flags.batch_or(batch_size));
  } catch (const ctnn::Error& error) {
    return run.fail("train_batchnorm_mlp", error);
  }
}
