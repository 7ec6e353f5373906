// Data-parallel training without MPI: "processes" are threads here, exchanging through shared
// memory (ThreadCollective), so that the drivers' sharing of work is checked in every build, on
// both backends, against one process training alone. tests/mpi/ runs the same over real MPI ranks.
#include <barrier>
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>
#include <functional>
#include <numeric>
#include <thread>
#include <vector>

#include "parameter_bits.hpp"
#include "temp_dir.hpp"
#include "test_data.hpp"

using namespace ctnn;

namespace {

// Processes as threads: each exchange is a barrier, copies from the other threads' buffers, and a
// barrier (nobody writes a buffer between the two).
class ThreadCollective final : public Collective {
 public:
  struct Shared {
    explicit Shared(std::size_t ranks) : barrier(std::ptrdiff_t(ranks)), buffers(ranks), words(ranks) {}
    std::barrier<> barrier;
    std::vector<float*> buffers;
    std::vector<std::uint64_t> words;
  };
  ThreadCollective(Shared& shared, std::size_t rank) : shared_(shared), share_{rank, shared.buffers.size()} {}

  ProcessShare share() const override { return share_; }
  void gather_blocks(float* data, std::span<const std::size_t> counts) override {
    exchange(data, [&](std::size_t r, const float* from) {
      const std::size_t begin = std::accumulate(counts.begin(), counts.begin() + std::ptrdiff_t(r), std::size_t{0});
      std::copy(from + begin, from + begin + counts[r], data + begin);
    });
  }
  void gather_ranges(std::span<float> values, std::span<const std::vector<IndexRange>> owned) override {
    exchange(values.data(), [&](std::size_t r, const float* from) {
      for (const IndexRange& range : owned[r]) std::copy(from + range.begin, from + range.end, values.data() + range.begin);
    });
  }
  bool same_everywhere(std::uint64_t value) override {
    shared_.words[share_.rank] = value;
    shared_.barrier.arrive_and_wait();
    const bool same = std::ranges::all_of(shared_.words, [&](std::uint64_t w) { return w == value; });
    shared_.barrier.arrive_and_wait();
    return same;
  }

 private:
  template <class Copy>
  void exchange(float* mine, Copy&& copy) {
    shared_.buffers[share_.rank] = mine;
    shared_.barrier.arrive_and_wait();
    for (std::size_t r = 0; r < share_.ranks; ++r)
      if (r != share_.rank) copy(r, shared_.buffers[r]);
    shared_.barrier.arrive_and_wait();
  }
  Shared& shared_;
  ProcessShare share_;
};

// train(collective) on `ranks` threads at once, each with a collective of its own; the results in rank order.
template <class Result>
std::vector<Result> on_ranks(std::size_t ranks, const std::function<Result(Collective*)>& train) {
  ThreadCollective::Shared shared(ranks);
  std::vector<Result> results(ranks);
  std::vector<std::thread> threads;
  for (std::size_t r = 0; r < ranks; ++r)
    threads.emplace_back([&, r] {
      ThreadCollective collective(shared, r);
      results[r] = train(&collective);
    });
  for (std::thread& thread : threads) thread.join();
  return results;
}

using Odd = Net<Dense<7, 5, Tanh, L2<0.01>>, BatchNorm<>, Dropout<0.25>, Dense<5, 19, ReLU, ActivityL1<0.001>>,
                Dropout<0.1>, Dense<19, 4, Sigmoid>, Softmax<3>>;
using Wide = Net<Dense<64, 300, ReLU>, Dense<300, 40, ReLU, L2<0.001>>, Softmax<10>>;
// A padded convolution of 18 taps (shares that cut register tiles) under batch normalisation, dropout
// and pooling, then a strided one of 32 taps, whose input gradient is a product and a col2im.
using Cnn = Net<Input<7, 6, 2>, Conv2D<8, 3, 3, Tanh, Same, L2<0.01>>, BatchNorm<>, Dropout<0.2>, MaxPool2D<2>,
                Conv2D<5, 2, 2, ReLU, Same, Strides<2>>, Flatten, Dense<inferred, 6, Sigmoid>, Softmax<3>>;

// This process's shard of `whole` (what io::read_idx reads for its share), or `whole` alone.
DatasetView training_rows(const DatasetView& whole, Collective* collective, bool sharded) {
  if (!sharded || !collective) return whole;
  const IndexRange mine = collective->share().rows(whole.count);
  DatasetView shard = whole.slice(mine.begin, mine.end);
  shard.first_row = mine.begin, shard.whole_count = whole.count;
  return shard;
}

struct Trained {
  std::vector<std::uint32_t> weights;
  std::vector<double> loss, accuracy, val_loss;
};

template <class N, std::size_t Batch>
Trained train_generated(const testing::Batch& data, const Optimizer& optimizer, Collective* collective,
                        bool sharded = false) {
  Model<N> model{Seed{11}};
  const FitOptions options{.epochs = 2, .optimizer = optimizer, .validation = data.view(), .seed = 5, .threads = 1,
                           .collective = collective, .verbose = false};
  const History history = fit<Batch>(model, training_rows(data.view(), collective, sharded), options);
  return {testing::parameter_bits(model), history.loss, history.accuracy, history.val_loss};
}
template <class N, std::size_t Batch>
Trained train_engine(const testing::Batch& data, const Optimizer& optimizer, Collective* collective,
                     bool sharded = false) {
  engine::Network network{N::spec(), Seed{11}};
  const FitOptions options{.epochs = 2, .optimizer = optimizer, .validation = data.view(), .seed = 5, .threads = 1,
                           .collective = collective, .verbose = false};
  const History history = engine::fit(network, training_rows(data.view(), collective, sharded), Batch, options);
  return {testing::parameter_bits(network), history.loss, history.accuracy, history.val_loss};
}

template <class Train>
void check_shared_equals_alone(Train&& train) {
  const Trained alone = train(nullptr);
  for (std::size_t ranks : {2, 3, 5}) {
    INFO(ranks << " processes");
    for (const Trained& shared : on_ranks<Trained>(ranks, train)) {
      CHECK(shared.weights == alone.weights);
      CHECK(shared.loss == alone.loss);
      CHECK(shared.accuracy == alone.accuracy);
      CHECK(shared.val_loss == alone.val_loss);
    }
  }
}

}  // namespace

TEST_CASE("processes sharing a step train every layer kind to one process's bits, on both backends") {
  STATIC_REQUIRE(Cnn::traits[0].shares_work);  // the convolutions share their work too
  // 45 rows in batches of 16: the last batch's 13 rows split unevenly; 5 processes get 2 or 3 rows.
  const testing::Batch odd = testing::random_batch(45, 7, 3, 31);
  for (const Optimizer& optimizer : {Optimizer{SGD{.momentum = 0.5f, .nesterov = true}}, Optimizer{Adam{}}}) {
    check_shared_equals_alone([&](Collective* c) { return train_generated<Odd, 16>(odd, optimizer, c); });
    check_shared_equals_alone([&](Collective* c) { return train_engine<Odd, 16>(odd, optimizer, c); });
  }
  // Large enough that the kernel gradient splits by the kernel's columns (dense_forward's rule).
  const testing::Batch wide = testing::random_batch(130, 64, 10, 32);
  check_shared_equals_alone([&](Collective* c) { return train_generated<Wide, 64>(wide, RMSprop{}, c); });
  check_shared_equals_alone([&](Collective* c) { return train_engine<Wide, 64>(wide, RMSprop{}, c); });
  const testing::Batch images = testing::random_batch(45, 7 * 6 * 2, 3, 37);
  check_shared_equals_alone([&](Collective* c) { return train_generated<Cnn, 16>(images, Adam{}, c); });
  check_shared_equals_alone([&](Collective* c) { return train_engine<Cnn, 16>(images, SGD{.momentum = 0.9f}, c); });
}

TEST_CASE("processes holding only their shard of the training rows train as one process holding them all") {
  // Each batch draws its rows from the whole set's shuffled order, so most batches need rows of every shard.
  const testing::Batch odd = testing::random_batch(45, 7, 3, 35);
  check_shared_equals_alone([&](Collective* c) { return train_generated<Odd, 16>(odd, Adam{}, c, true); });
  check_shared_equals_alone([&](Collective* c) { return train_engine<Odd, 16>(odd, SGD{.momentum = 0.9f}, c, true); });
}

TEST_CASE("a shard that is not its process's share, or has no processes to share with, is refused") {
  const testing::Batch data = testing::random_batch(20, 7, 3, 36);
  const auto fit_error = [&](const DatasetView& training, Collective* c) -> std::string {
    Model<Odd> model{Seed{1}};
    try {
      fit<8>(model, training, FitOptions{.threads = 1, .collective = c, .verbose = false});
    } catch (const Error& error) {
      return error.what();
    }
    return "";
  };
  ThreadCollective::Shared one(1);
  ThreadCollective alone(one, 0);
  DatasetView shard = data.view().slice(0, 10);
  shard.first_row = 0, shard.whole_count = 20;
  CHECK_THAT(fit_error(shard, nullptr), Catch::Contains("is a shard (rows 0 to 10 of 20)") && Catch::Contains("alone"));
  CHECK_THAT(fit_error(shard, &alone), Catch::Contains("process 0 of 1 holds rows 0 to 20"));
  // Each of two processes given the other's rows.
  const auto errors = on_ranks<std::string>(2, [&](Collective* c) {
    const ProcessShare other{1 - c->share().rank, 2};
    DatasetView wrong = data.view().slice(other.rows(20).begin, other.rows(20).end);
    wrong.first_row = other.rows(20).begin, wrong.whole_count = 20;
    return fit_error(wrong, c);
  });
  CHECK_THAT(errors[0], Catch::Contains("rows 10 to 20 of 20") && Catch::Contains("process 0 of 2 holds rows 0 to 10"));
  CHECK_THAT(errors[1], Catch::Contains("rows 0 to 10 of 20") && Catch::Contains("process 1 of 2 holds rows 10 to 20"));
}

TEST_CASE("the processes' parameter ranges cover every parameter of the network once") {
  using N = Odd;
  for (std::size_t ranks : {1, 2, 3, 7}) {
    const auto owned = layers::parameter_shares(
        ProcessShare{0, ranks}, N::layer_count, N::parameter_floats, [](std::size_t i) { return N::tensors[i]; },
        [](std::size_t i) { return N::traits[i]; }, [](std::size_t i) { return N::parameter_offsets[i]; });
    REQUIRE(owned.size() == ranks);
    std::vector<int> times(N::parameter_floats, 0);
    for (const auto& ranges : owned)
      for (const IndexRange& range : ranges)
        for (std::size_t at = range.begin; at < range.end; ++at) ++times[at];
    // Every float of every tensor once; nothing twice (padding between layers' blocks may be no one's).
    for (std::size_t i = 0; i < N::layer_count; ++i)
      for (std::size_t k = 0; k < N::tensors[i].size(); ++k)
        for (std::size_t at = N::tensor_offset(i, k); at < N::tensor_offset(i, k) + N::tensors[i][k].stored_floats(); ++at)
          CHECK(times[at] == 1);
    CHECK(std::ranges::all_of(times, [](int t) { return t <= 1; }));
  }
}

TEST_CASE("processes that would train differently are all told so") {
  const testing::Batch data = testing::random_batch(20, 7, 3, 33);
  const auto errors = on_ranks<std::string>(2, [&](Collective* c) -> std::string {
    Model<Odd> model{Seed{c->share().rank}};  // a different seed on each process
    try {
      fit<8>(model, data.view(), FitOptions{.threads = 1, .collective = c, .verbose = false});
    } catch (const Error& error) {
      return error.what();
    }
    return "";
  });
  for (const std::string& error : errors) CHECK_THAT(error, Catch::Contains("different weights"));
}

TEST_CASE("a backup written by processes sharing a run resumes on another number of them, bit for bit as one process") {
  struct Interrupted {};
  const testing::Batch data = testing::random_batch(90, 7, 3, 34);
  const testing::TempDir backup;
  const auto options = [&](Collective* collective, std::size_t fail_at_epoch) {
    FitOptions o{.epochs = 4, .optimizer = Adam{}, .validation = data.view(), .seed = 6, .threads = 1,
                 .collective = collective, .verbose = false};
    o.callbacks = {LearningRateScheduler{[fail_at_epoch](std::size_t epoch, float rate) {
                     if (epoch == fail_at_epoch) throw Interrupted{};
                     return rate;
                   }},
                   BackupAndRestore{.backup_dir = backup.path()}};
    return o;
  };
  Model<Odd> alone{Seed{12}};
  fit<16>(alone, data.view(), options(nullptr, 99));
  REQUIRE_FALSE(std::filesystem::exists(backup / "training_state.ctnnbak"));  // a finished run deletes its backup
  // Two processes stop as a crash would when the third epoch starts; three take the run up from the backup.
  const auto interrupted = on_ranks<bool>(2, [&](Collective* c) {
    Model<Odd> model{Seed{12}};
    try {
      fit<16>(model, data.view(), options(c, 2));
    } catch (const Interrupted&) {
      return true;
    }
    return false;
  });
  CHECK(interrupted == std::vector<bool>{true, true});
  const auto resumed = on_ranks<std::vector<std::uint32_t>>(3, [&](Collective* c) {
    Model<Odd> model{Seed{12}};
    fit<16>(model, data.view(), options(c, 99));
    return testing::parameter_bits(model);
  });
  for (const auto& bits : resumed) CHECK(bits == testing::parameter_bits(alone));
}
