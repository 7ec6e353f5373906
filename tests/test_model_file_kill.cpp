// Atomic checkpoints: a process that keeps rewriting a model file is killed at random moments;
// every time, the file must load without error and hold one of the two models it was writing.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include <bit>
#include <csignal>
#include <random>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "dense_views.hpp"
#include "temp_dir.hpp"

using namespace ctnn;

namespace {
using Checkpointed = Net<Dense<784, 64, ReLU>, Softmax<10>>;  // a 200 KB file: a write takes a while

bool same_parameters(const Model<Checkpointed>& a, const Model<Checkpointed>& b) {
  for (std::size_t l = 0; l < testing::depth(a); ++l) {
    const MatrixView<const float> ka = testing::kernel(a, l), kb = testing::kernel(b, l);
    for (std::size_t i = 0; i < ka.rows; ++i)
      if (std::memcmp(&ka(i, 0), &kb(i, 0), ka.cols * sizeof(float)) != 0) return false;
    if (!std::ranges::equal(testing::bias(a, l), testing::bias(b, l))) return false;
  }
  return true;
}
}  // namespace

TEST_CASE("killing a process while it writes checkpoints never leaves a file that fails to load") {
  testing::TempDir dir;
  const auto path = dir / "checkpoint.ctnn";
  const Model<Checkpointed> first{Seed{1}}, second{Seed{2}};
  io::save(first, path);
  std::mt19937 random(20261122);
  constexpr int kills = 60;
  int loaded_first = 0, loaded_second = 0;
  for (int round = 0; round < kills; ++round) {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      try {
        for (;;) {
          io::save(second, path);
          io::save(first, path);
        }
      } catch (...) {
        ::_exit(1);
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 20000)(random)));
    ::kill(child, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));  // it was still writing, not stopped by an error
    Model<Checkpointed> loaded{Seed{3}};
    INFO("round " << round);
    REQUIRE_NOTHROW(io::load_into(loaded, path));
    const bool is_first = same_parameters(loaded, first), is_second = same_parameters(loaded, second);
    CHECK((is_first || is_second));
    loaded_first += is_first;
    loaded_second += is_second;
  }
  // Both versions were seen: the kills did land in the middle of the writing loop.
  CHECK(loaded_first > 0);
  CHECK(loaded_second > 0);
}
