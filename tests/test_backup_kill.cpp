// BackupAndRestore under kill -9: a training process is killed at random moments (inside steps,
// between them, while it writes its backup) and started again, over and over, until it finishes.
// Its final weights and history must be those of a run that was never interrupted, bit for bit, and
// the backup must have moved forward between kills (each start resumed; none began again).
// This program forks before any training, so that no child inherits a started thread pool.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include <algorithm>
#include <bit>
#include <csignal>
#include <random>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "temp_dir.hpp"
#include "test_data.hpp"

using namespace ctnn;

namespace {
using Resumable = Net<Dense<64, 96>, BatchNorm<>, Activation<ReLU>, Dropout<0.25>, Dense<96, 10>, Softmax<10>>;
constexpr std::size_t batch_size = 16;

const testing::Batch& data() {
  static const testing::Batch batch = testing::random_batch(1200, 64, 10, 77);
  return batch;
}

FitOptions options(const std::filesystem::path& backup_dir) {
  // Long enough (about 1.5 s on one core of the CI machines) that 60 kills never let it finish.
  FitOptions options{.epochs = 30, .optimizer = Adam{}, .validation_split = 0.2, .seed = 3, .verbose = false};
  options.callbacks = {ReduceLROnPlateau{.monitor = "val_loss", .factor = 0.5, .patience = 1},
                       BackupAndRestore{.backup_dir = backup_dir, .save_freq = 3, .delete_checkpoint = false}};
  return options;
}

// Trains to the end from whatever backup there is; exits 0 when done, 1 on any error.
[[noreturn]] void train_in_child(const std::filesystem::path& backup_dir) {
  try {
    Model<Resumable> model{Seed{1}};
    fit<batch_size>(model, data().view(), options(backup_dir));
    ::_exit(0);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "child: %s\n", error.what());
    ::_exit(1);
  } catch (...) {
    ::_exit(1);
  }
}

std::uint64_t iteration_in(const std::filesystem::path& path) {
  return std::filesystem::exists(path) ? read_training_state(path).iteration : 0;
}
}  // namespace

TEST_CASE("killed 60 times at random moments, training resumes each time and ends bit for bit as an uninterrupted run") {
  testing::TempDir dir;
  const auto backup = dir / "backup";
  const auto state_file = backup / "training_state.ctnnbak";
  data();  // before the forks, so that each child starts from the same bytes
  std::mt19937 random(20261202);
  constexpr int kills = 60;
  int killed = 0, advanced = 0;
  std::uint64_t last_iteration = 0;
  // The kill comes at a random moment of a window that widens while starts make no progress (on a
  // loaded machine a child gets less of a core) and narrows again once one does.
  constexpr int narrow_window_us = 12000, widest_window_us = 96000;
  int window_us = narrow_window_us;
  for (int round = 0;; ++round) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) train_in_child(backup);
    const bool kill_it = killed < kills;
    if (kill_it) {
      std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(1000, window_us)(random)));
      ::kill(child, SIGKILL);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    INFO("round " << round);
    if (WIFSIGNALED(status)) {
      REQUIRE(kill_it);
      ++killed;
    } else {
      REQUIRE(WIFEXITED(status));
      REQUIRE(WEXITSTATUS(status) == 0);  // the child printed its error
    }
    // Whatever the moment of the kill, the backup reads (the write is atomic) and never goes back.
    const std::uint64_t iteration = iteration_in(state_file);
    CHECK(iteration >= last_iteration);
    advanced += iteration > last_iteration;
    window_us = iteration > last_iteration ? narrow_window_us : std::min(2 * window_us, widest_window_us);
    last_iteration = iteration;
    if (WIFEXITED(status)) break;
  }
  CHECK(killed == kills);
  CHECK(advanced >= 10);  // most starts got far enough to write a backup before their kill

  // The uninterrupted run, in this process now that no more children are forked.
  Model<Resumable> uninterrupted{Seed{1}};
  const History expected = fit<batch_size>(uninterrupted, data().view(), options(dir / "uninterrupted"));
  const TrainingState finished = read_training_state(state_file);
  REQUIRE(finished.finished);
  const auto bits = [](const std::vector<double>& values) {
    std::vector<std::uint64_t> result;
    for (const double value : values) result.push_back(std::bit_cast<std::uint64_t>(value));
    return result;
  };
  CHECK(bits(finished.history.loss) == bits(expected.loss));
  CHECK(bits(finished.history.accuracy) == bits(expected.accuracy));
  CHECK(bits(finished.history.val_loss) == bits(expected.val_loss));
  CHECK(bits(finished.history.val_accuracy) == bits(expected.val_accuracy));
  CHECK(bits(finished.history.learning_rate) == bits(expected.learning_rate));
  const std::vector<float> final_weights = io::snapshot(uninterrupted).parameters;
  REQUIRE(finished.weights.parameters.size() == final_weights.size());
  CHECK(std::memcmp(finished.weights.parameters.data(), final_weights.data(), final_weights.size() * sizeof(float)) == 0);
  // No temporaries of the killed writers are left beside the backup.
  for (const auto& entry : std::filesystem::directory_iterator(backup))
    CHECK(entry.path().filename() == "training_state.ctnnbak");
}
