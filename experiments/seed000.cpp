// Notebook seed 000 on the MNIST digits: 784-400r-20r-10s, categorical cross-entropy, SGD at 0.01 in
// batches of 200, the test set as validation data (the notebook's choice), test accuracy after the last epoch.
//   1. trained 10 epochs, then 25 more on the same model (a second fit continues the first, as in Keras);
//   2. the same network trained 25 epochs from scratch;
//   3. with L2(0.01) on both hidden layers, 25 epochs.
#include "notebook.hpp"

using namespace ctnn;

using SeedNet = Net<Dense<784, 400, ReLU>, Dense<400, 20, ReLU>, Softmax<10>>;
using SeedNetL2 = Net<Dense<784, 400, ReLU, L2<0.01>>, Dense<400, 20, ReLU, L2<0.01>>, Softmax<10>>;
constexpr std::size_t batch = 200;

void train_models(const experiments::Flags& flags, const experiments::Data& data, experiments::Table& table) {
  const auto options = [&](std::size_t epochs, std::uint64_t seed) {
    return FitOptions{.epochs = experiments::epochs(flags, epochs), .optimizer = SGD{.learning_rate = 0.01f},
                      .loss = CategoricalCrossentropy{}, .validation = data.test, .seed = seed, .threads = flags.threads};
  };

  table.run("784-400r-20r-10s, 10 epochs then 25 more on the same model", 95.67, [&](std::uint64_t seed) {
    Model<SeedNet> model{ctnn::Seed{seed}};
    const History first = fit<batch>(model, data.train, options(10, seed));
    const History more = fit<batch>(model, data.train, options(25, seed));
    return experiments::Outcome{more.val_accuracy.back(), first.epochs() + more.epochs()};
  });
  table.run("784-400r-20r-10s, 25 epochs from scratch", 94.77, [&](std::uint64_t seed) {
    Model<SeedNet> model{ctnn::Seed{seed}};
    const History history = fit<batch>(model, data.train, options(25, seed));
    return experiments::Outcome{history.val_accuracy.back(), history.epochs()};
  });
  table.run("784-400r-20r-10s, L2(0.01) on both hidden layers, 25 epochs", 93.42, [&](std::uint64_t seed) {
    Model<SeedNetL2> model{ctnn::Seed{seed}};
    const History history = fit<batch>(model, data.train, options(25, seed));
    return experiments::Outcome{history.val_accuracy.back(), history.epochs()};
  });
}

int main(int argc, char** argv) {
  return experiments::run_notebook(argc, argv, "seed000",
                                   "Notebook seed 000: the seed network on MNIST with SGD, continued training and L2.",
                                   "mnist", train_models);
}
