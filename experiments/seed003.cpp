// Notebook seed 003 on the MNIST digits: deeper ReLU MLPs with batch normalisation and dropout, Adam at
// 0.001 in batches of 128 for 20 epochs, categorical cross-entropy, the test set as validation data (the
// notebook's choice), test accuracy after the last epoch. Hidden kernels start from RandomNormal(0, sigma)
// with the notebook's sigmas (where its cell is unreadable, 0.125, and a dropout rate of 0.5); the output
// layer from Glorot-uniform. Each network's parameter count is checked against the notebook's at compile time.
#include "notebook.hpp"

using namespace ctnn;

template <std::size_t In, std::size_t Out, auto Sigma>
using Hidden = Dense<In, Out, ReLU, RandomNormal<0.0, Sigma>>;

using M1 = Net<Hidden<784, 600, 0.062>, Hidden<600, 100, 0.125>, Softmax<10>>;
using M2 = Net<Hidden<784, 600, 0.039>, BatchNorm<>, Hidden<600, 100, 0.55>, BatchNorm<>, Softmax<10>>;
using M3 = Net<Hidden<784, 600, 0.039>, BatchNorm<>, Dropout<0.5>, Hidden<600, 100, 0.55>, BatchNorm<>, Dropout<0.5>,
               Softmax<10>>;
using M4 = Net<Hidden<784, 500, 0.062>, Hidden<500, 250, 0.125>, Hidden<250, 125, 0.125>, Softmax<10>>;
using M5 = Net<Hidden<784, 500, 0.039>, BatchNorm<>, Dropout<0.5>, Hidden<500, 250, 0.55>, BatchNorm<>, Dropout<0.5>,
               Hidden<250, 125, 0.55>, BatchNorm<>, Dropout<0.5>, Softmax<10>>;
using M6 = Net<Hidden<784, 700, 0.062>, Hidden<700, 350, 0.125>, Hidden<350, 200, 0.125>, Hidden<200, 100, 0.125>,
               Hidden<100, 50, 0.125>, Softmax<10>>;
using M7 = Net<Hidden<784, 700, 0.039>, BatchNorm<>, Dropout<0.5>, Hidden<700, 350, 0.25>, BatchNorm<>, Dropout<0.5>,
               Hidden<350, 200, 0.55>, BatchNorm<>, Dropout<0.5>, Hidden<200, 100, 0.15>, BatchNorm<>, Dropout<0.5>,
               Hidden<100, 50, 0.3>, BatchNorm<>, Dropout<0.5>, Softmax<10>>;

// The counts the notebook's model.summary() printed.
static_assert(M2::param_count == 534'910 && experiments::non_trainable_count<M2>() == 1'400);
static_assert(M5::param_count == 553'885 && experiments::non_trainable_count<M5>() == 1'750);
static_assert(M6::param_count == 890'710);
static_assert(M7::param_count == 896'310 && experiments::non_trainable_count<M7>() == 2'800);

void train_models(const experiments::Flags& flags, const experiments::Data& data, experiments::Table& table) {
  const auto train = [&]<class N>(std::uint64_t seed) {
    Model<N> model{Seed{seed}};
    const History history = fit<128>(model, data.train,
                                     {.epochs = experiments::epochs(flags, 20), .optimizer = Adam{.learning_rate = 0.001f},
                                      .loss = CategoricalCrossentropy{}, .validation = data.test, .seed = seed,
                                      .threads = flags.threads});
    return experiments::Outcome{history.val_accuracy.back(), history.epochs()};
  };
  table.run("1 600(.062)-100(.125)", 98.38, [&](std::uint64_t seed) { return train.operator()<M1>(seed); });
  table.run("2 600(.039)-BN-100(.55)-BN", 97.96, [&](std::uint64_t seed) { return train.operator()<M2>(seed); });
  table.run("3 600(.039)-BN-D.5-100(.55)-BN-D.5", 98.16, [&](std::uint64_t seed) { return train.operator()<M3>(seed); });
  table.run("4 500(.062)-250(.125)-125(.125)", 98.08, [&](std::uint64_t seed) { return train.operator()<M4>(seed); });
  table.run("5 500(.039)-BN-D.5-250(.55)-BN-D.5-125(.55)-BN-D.5", std::nullopt,
            [&](std::uint64_t seed) { return train.operator()<M5>(seed); });
  table.run("6 700(.062)-350(.125)-200-100-50 (.125)", 97.76, [&](std::uint64_t seed) { return train.operator()<M6>(seed); });
  table.run("7 700(.039)-350(.25)-200(.55)-100(.15)-50(.3), each BN-D.5", 98.11,
            [&](std::uint64_t seed) { return train.operator()<M7>(seed); });
}

int main(int argc, char** argv) {
  return experiments::run_notebook(argc, argv, "seed003",
                                   "Notebook seed 003: MLPs with RandomNormal kernels, batch norm and dropout, Adam, on MNIST.",
                                   "mnist", train_models);
}
