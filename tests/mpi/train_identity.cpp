// Run under mpirun with any number of ranks: trains the seed network (SGD with momentum), the
// batch-normalisation network (Adam, dropout) and the seed network's engine twin for one epoch over
// the ranks, then each rank trains the same models alone, and the weights, the optimiser state and
// the history (validation included) must be equal bit for bit; so must the seed network trained for an
// epoch of the whole training set by ranks that each read only their shard of its files. Exit status 0
// when they are, on every rank.
//   mpirun -np 3 tests/mpi_train_identity [DATA_DIRECTORY]
#include <bit>
#include <cstdint>
#include <cstdio>
#include <ctnn/ctnn.hpp>
#include <ctnn/distributed/mpi.hpp>
#include <span>
#include <string>
#include <vector>

#include "../parameter_bits.hpp"

namespace {

using SeedNet = ctnn::Net<ctnn::Dense<784, 400, ctnn::ReLU>, ctnn::Dense<400, 20>, ctnn::Softmax<10>>;
using Normal = ctnn::RandomNormal<0.0f, 0.05f>;
using BatchNormNet = ctnn::Net<ctnn::Dense<784, 600, ctnn::ReLU, Normal>, ctnn::BatchNorm<>, ctnn::Dropout<0.5>,
                               ctnn::Dense<600, 100, ctnn::ReLU, Normal, ctnn::L2<0.001f>>, ctnn::BatchNorm<>,
                               ctnn::Dropout<0.5>, ctnn::Softmax<10, Normal>>;
// 10,000 rows in batches of 128: the last batch holds 16, which 3 ranks share unevenly.
constexpr std::size_t batch = 128;

std::vector<std::uint32_t> bits_of(std::span<const float> values) {
  std::vector<std::uint32_t> bits;
  for (const float v : values) bits.push_back(std::bit_cast<std::uint32_t>(v));
  return bits;
}
std::vector<std::uint64_t> bits_of(const std::vector<double>& values) {
  std::vector<std::uint64_t> bits;
  for (const double v : values) bits.push_back(std::bit_cast<std::uint64_t>(v));
  return bits;
}

struct Outcome {
  std::vector<std::uint32_t> weights, optimizer_state;
  std::vector<std::uint64_t> loss, accuracy, val_loss, val_accuracy;
};
template <class M>
Outcome outcome_of(M& model, const ctnn::History& history) {
  return {testing::parameter_bits(model), bits_of(std::span<const float>(model.training_progress().optimizer_state)),
          bits_of(history.loss), bits_of(history.accuracy), bits_of(history.val_loss), bits_of(history.val_accuracy)};
}

int failures = 0;
void expect_same(const char* what, std::size_t rank, const Outcome& shared, const Outcome& alone) {
  const auto first_difference = [](const auto& a, const auto& b) {
    if (a.size() != b.size()) return std::string("sizes ") + std::to_string(a.size()) + " and " + std::to_string(b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
      if (a[i] != b[i]) return "value " + std::to_string(i);
    return std::string();
  };
  const std::string differences[] = {first_difference(shared.weights, alone.weights),
                                     first_difference(shared.optimizer_state, alone.optimizer_state),
                                     first_difference(shared.loss, alone.loss),
                                     first_difference(shared.accuracy, alone.accuracy),
                                     first_difference(shared.val_loss, alone.val_loss),
                                     first_difference(shared.val_accuracy, alone.val_accuracy)};
  const char* names[] = {"weights", "optimiser state", "loss", "accuracy", "val_loss", "val_accuracy"};
  bool same = true;
  for (int k = 0; k < 6; ++k)
    if (!differences[k].empty()) {
      std::printf("rank %zu: %s: %s not as one process's, first at %s\n", rank, what, names[k], differences[k].c_str());
      same = false;
    }
  if (same) std::printf("rank %zu: %s: %zu weights bit for bit as one process\n", rank, what, shared.weights.size());
  failures += same ? 0 : 1;
}

template <class Train>
void compare(const char* what, ctnn::distributed::Mpi& mpi, Train&& train) {
  const Outcome shared = train(&mpi.world());
  const Outcome alone = train(nullptr);
  expect_same(what, mpi.rank(), shared, alone);
}

}  // namespace

int main(int argc, char** argv) {
  ctnn::distributed::Mpi mpi(argc, argv);
  try {
    const std::string directory = argc > 1 ? argv[1] : ctnn::io::default_data_directory.string();
    const auto data = ctnn::io::load_data_set(directory);
    const ctnn::DatasetView rows = data.test;  // 10,000 rows: a short epoch
    const ctnn::DatasetView validation = data.train.slice(0, 3001);  // split unevenly too
    const auto options = [&](ctnn::Collective* collective, ctnn::Optimizer optimizer) {
      ctnn::FitOptions o;
      o.optimizer = optimizer;
      o.seed = 7;
      o.threads = 1;
      o.verbose = false;
      o.collective = collective;
      o.validation = validation;
      return o;
    };
    compare("seed network, SGD with momentum", mpi, [&](ctnn::Collective* collective) {
      ctnn::Model<SeedNet> model{ctnn::Seed{3}};
      const ctnn::History history =
          ctnn::fit<batch>(model, rows, options(collective, ctnn::SGD{.learning_rate = 0.05f, .momentum = 0.9f}));
      return outcome_of(model, history);
    });
    compare("batch-normalisation network, Adam, dropout, L2", mpi, [&](ctnn::Collective* collective) {
      ctnn::Model<BatchNormNet> model{ctnn::Seed{4}};
      const ctnn::History history = ctnn::fit<batch>(model, rows, options(collective, ctnn::Adam{}));
      return outcome_of(model, history);
    });
    compare("the seed network's engine twin, RMSprop", mpi, [&](ctnn::Collective* collective) {
      ctnn::engine::Network network{SeedNet::spec(), ctnn::Seed{5}};
      const ctnn::History history = ctnn::engine::fit(network, rows, batch, options(collective, ctnn::RMSprop{}));
      return outcome_of(network, history);
    });
    const auto shard = ctnn::io::load_data_set(directory, mpi.world().share());
    compare("seed network, each rank reading its shard of the 60,000 training images", mpi, [&](ctnn::Collective* collective) {
      ctnn::Model<SeedNet> model{ctnn::Seed{6}};
      const ctnn::History history = ctnn::fit<batch>(model, collective ? shard.train : data.train,
                                                     options(collective, ctnn::SGD{.learning_rate = 0.05f}));
      return outcome_of(model, history);
    });
  } catch (const ctnn::Error& error) {
    mpi.abort(error.what());
  }
  return failures == 0 ? 0 : 1;
}
