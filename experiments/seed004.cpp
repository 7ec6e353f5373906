// Notebook seed 004 on Fashion-MNIST: ReLU MLPs with Adam at 0.001 in batches of 32 for 30 epochs,
// categorical cross-entropy, validated on 12,000 of the 60,000 training images held out by a seeded
// shuffled split (trained on the other 48,000), test accuracy after the last epoch. M5 and M6 of the
// notebook add an "L1" regulariser whose code the notebook does not show: they are left out.
#include "notebook.hpp"

using namespace ctnn;

using M0 = Net<Dense<784, 128, ReLU>, Softmax<10>>;
using M1 = Net<Dense<784, 256, ReLU>, Dense<256, 512, ReLU>, Softmax<10>>;
using M2 = Net<Dense<784, 512, ReLU>, Dense<512, 256, ReLU>, Softmax<10>>;
using M3 = Net<Dense<784, 512, ReLU>, Dropout<0.5>, Dense<512, 256, ReLU>, Dropout<0.5>, Softmax<10>>;
using M4 = Net<Dense<784, 1024, ReLU>, Dense<1024, 512, ReLU>, Dense<512, 256, ReLU>, Softmax<10>>;
using M7 = Net<Dense<784, 1024, ReLU, ActivityL1<1e-4>>, Dropout<0.5>, Dense<1024, 512, ReLU, ActivityL1<1e-4>>, Dropout<0.5>,
               Dense<512, 256, ReLU, ActivityL1<1e-4>>, Dropout<0.5>, Softmax<10>>;

void train_models(const experiments::Flags& flags, const experiments::Data& data, experiments::Table& table) {
  const auto train = [&]<class N>(std::uint64_t seed) {
    // The held-out fifth, drawn with the run's seed.
    Dataset rows;
    rows.images.assign(data.train.images, data.train.images + data.train.count * data.train.features);
    rows.labels.assign(data.train.labels, data.train.labels + data.train.count);
    rows.count = data.train.count, rows.features = data.train.features;
    rows.images_source = std::string(data.train.images_source), rows.labels_source = std::string(data.train.labels_source);
    const DatasetSplit split = shuffled_split(rows, rows.count / 5, Seed{seed});
    Model<N> model{Seed{seed}};
    const History history = fit<32>(model, split.train,
                                     {.epochs = experiments::epochs(flags, 30), .optimizer = Adam{.learning_rate = 0.001f},
                                      .loss = CategoricalCrossentropy{}, .validation = split.validation, .seed = seed,
                                      .threads = flags.threads});
    return experiments::Outcome{evaluate(model, data.test).accuracy, history.epochs()};
  };
  table.run("M0 128", 88.48, [&](std::uint64_t seed) { return train.operator()<M0>(seed); });
  table.run("M1 256-512", 88.98, [&](std::uint64_t seed) { return train.operator()<M1>(seed); });
  table.run("M2 512-256", 89.14, [&](std::uint64_t seed) { return train.operator()<M2>(seed); });
  table.run("M3 512-D.5-256-D.5", 88.01, [&](std::uint64_t seed) { return train.operator()<M3>(seed); });
  table.run("M4 1024-512-256", 88.79, [&](std::uint64_t seed) { return train.operator()<M4>(seed); });
  table.run("M7 1024-D.5-512-D.5-256-D.5, ActivityL1(1e-4) on each hidden layer", 83.87,
            [&](std::uint64_t seed) { return train.operator()<M7>(seed); });
}

int main(int argc, char** argv) {
  return experiments::run_notebook(argc, argv, "seed004",
                                   "Notebook seed 004: MLPs on Fashion-MNIST with Adam at batch 32, a 48,000 / 12,000 split.",
                                   "fashion-mnist", train_models);
}
