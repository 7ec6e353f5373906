// The seed network's epoch (or CNN A's, the seed's convolutional network A) trained over MPI ranks,
// with what the exchanges cost: run under mpirun (scripts/run-mpi-bench.sh compares 1 and 2 ranks of
// 1 thread against 1 rank of 2 threads).
//   mpirun -np R bench_mpi_epoch [--network seed|cnn_a] [--epochs N] [--threads T] [--data DIR] [--shard]
// Prints, on rank 0, one line: ranks, threads, the median epoch in seconds (after the first epoch),
// bytes each rank received per step, and the share of the step spent in MPI calls (waiting included).
#include <chrono>
#include <numeric>
#include <cstdio>
#include <cstring>
#include <ctnn/ctnn.hpp>
#include <ctnn/distributed/mpi.hpp>
#include <string>

#include "timing.hpp"

namespace {

using SeedNet = ctnn::Net<ctnn::Dense<784, 400, ctnn::ReLU>, ctnn::Dense<400, 20>, ctnn::Softmax<10>>;
using CnnA = ctnn::Net<ctnn::Input<28, 28, 1>, ctnn::Conv2D<32, 3, 3, ctnn::ReLU>, ctnn::MaxPool2D<2>, ctnn::Flatten,
                       ctnn::Dense<ctnn::inferred, 128, ctnn::ReLU>, ctnn::Softmax<10>>;

// Passes every exchange on, counting the bytes this rank receives and the time it spends in them.
class CountingCollective final : public ctnn::Collective {
 public:
  explicit CountingCollective(ctnn::Collective& inner) : inner_(inner) {}
  ctnn::ProcessShare share() const override { return inner_.share(); }
  void gather_blocks(float* data, std::span<const std::size_t> counts) override {
    const auto start = ctnn::bench::clock_type::now();
    inner_.gather_blocks(data, counts);
    seconds += ctnn::bench::seconds_since(start);
    for (std::size_t r = 0; r < counts.size(); ++r)
      if (r != share().rank) bytes += double(counts[r] * sizeof(float));
  }
  void gather_ranges(std::span<float> values, std::span<const std::vector<ctnn::IndexRange>> owned) override {
    const auto start = ctnn::bench::clock_type::now();
    inner_.gather_ranges(values, owned);
    seconds += ctnn::bench::seconds_since(start);
    for (std::size_t r = 0; r < owned.size(); ++r)
      if (r != share().rank)
        for (const ctnn::IndexRange& range : owned[r]) bytes += double(range.size() * sizeof(float));
  }
  bool same_everywhere(std::uint64_t value) override { return inner_.same_everywhere(value); }

  double seconds = 0.0, bytes = 0.0;

 private:
  ctnn::Collective& inner_;
};

template <class N, std::size_t Batch>
void measure(ctnn::distributed::Mpi& mpi, const ctnn::DatasetView& training, std::size_t epochs, std::size_t threads) {
  const std::size_t rows = training.is_shard() ? training.whole_count : training.count;
  ctnn::Model<N> model{ctnn::Seed{1}};
  CountingCollective counting(mpi.world());
  ctnn::FitOptions options{.epochs = epochs, .threads = threads, .adapt_threads = false, .verbose = false};
  // One rank alone takes the fused path, as a program without MPI does.
  if (mpi.ranks() > 1) options.collective = &counting;
  const ctnn::History history = ctnn::fit<Batch>(model, training, options);
  const std::vector<double> later(history.seconds.begin() + 1, history.seconds.end());
  const double steps = double(epochs * ((rows + Batch - 1) / Batch));
  const double total = std::accumulate(history.seconds.begin(), history.seconds.end(), 0.0);
  if (mpi.rank() == 0)
    std::printf("ranks %zu threads %zu shard %d epoch_seconds %.4f bytes_per_step %.0f mpi_share %.3f\n", mpi.ranks(),
                threads, int(training.is_shard()), ctnn::bench::quantile(later, 0.5), counting.bytes / steps,
                counting.seconds / total);
}

}  // namespace

int main(int argc, char** argv) {
  ctnn::distributed::Mpi mpi(argc, argv);
  try {
    std::size_t epochs = 4, threads = 1;
    bool shard = false;
    std::string network = "seed", data_directory = ctnn::io::default_data_directory.string();
    for (int i = 1; i < argc; i += 2) {
      if (std::strcmp(argv[i], "--shard") == 0) shard = true, --i;
      else if (i + 1 == argc) throw ctnn::Error(std::string(argv[i]) + " needs a value");
      else if (std::strcmp(argv[i], "--epochs") == 0) epochs = std::stoul(argv[i + 1]);
      else if (std::strcmp(argv[i], "--network") == 0) network = argv[i + 1];
      else if (std::strcmp(argv[i], "--threads") == 0) threads = std::stoul(argv[i + 1]);
      else if (std::strcmp(argv[i], "--data") == 0) data_directory = argv[i + 1];
      else throw ctnn::Error(std::string("unknown flag ") + argv[i]);
    }
    // --shard: each rank reads its share of the training rows, and each batch gathers its rows.
    if (epochs < 2) throw ctnn::Error("--epochs takes at least 2: the first epoch is not timed");
    const auto data = ctnn::io::load_data_set(data_directory, shard ? mpi.world().share() : ctnn::ProcessShare{});
    if (network == "seed") measure<SeedNet, 200>(mpi, data.train, epochs, threads);
    else if (network == "cnn_a") measure<CnnA, 64>(mpi, data.train, epochs, threads);
    else throw ctnn::Error("--network takes seed or cnn_a, not " + network);
  } catch (const std::exception& error) {
    mpi.abort(error.what());
  }
}
