// ThreadTuner's choices on step times given here: the most threads unless fewer are clearly faster,
// probes again after a while, and settles back when the machine is quiet again.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>
#include <map>

using ctnn::ThreadTuner;

namespace {

// Runs steps whose time depends on the thread count as `seconds` says, until `total` seconds have passed.
void run_steps(ThreadTuner& tuner, const std::map<std::size_t, double>& seconds, double total) {
  for (double spent = 0.0; spent < total;) {
    const double step = seconds.at(tuner.threads());
    tuner.record(step);
    spent += step;
  }
}

}  // namespace

TEST_CASE("the tuner probes every candidate, then keeps the most threads unless fewer are clearly faster") {
  ThreadTuner tuner(4);
  // Probes: 4, then 2, then 1 threads, three steps each.
  for (const std::size_t expected : {4, 4, 4, 2, 2, 2, 1, 1, 1}) {
    REQUIRE(tuner.probing());
    CHECK(tuner.threads() == expected);
    tuner.record(expected == 4 ? 0.010 : expected == 2 ? 0.0095 : 0.012);  // 2 threads only 5% faster: noise
  }
  CHECK_FALSE(tuner.probing());
  CHECK(tuner.threads() == 4);
  CHECK(tuner.chosen() == 4);
}

TEST_CASE("on a busy machine the tuner moves to fewer threads, and back when the load goes") {
  ThreadTuner tuner(2);
  run_steps(tuner, {{2, 0.006}, {1, 0.002}}, 0.05);  // two threads wait for each other: three times slower
  CHECK(tuner.chosen() == 1);
  CHECK(tuner.threads() == 1);
  // The load goes: the next round of probes, after ThreadTuner::seconds_between_probes, finds two threads faster.
  run_steps(tuner, {{2, 0.0012}, {1, 0.002}}, ThreadTuner::seconds_between_probes + 0.05);
  CHECK(tuner.chosen() == 2);
  CHECK(tuner.threads() == 2);
}

TEST_CASE("one outlying step in a probe does not decide: the median of its steps does") {
  ThreadTuner tuner(2);
  for (const double seconds : {0.001, 0.001, 0.050}) tuner.record(seconds);  // 2 threads, one step descheduled
  for (const double seconds : {0.0018, 0.0018, 0.0018}) tuner.record(seconds);  // 1 thread
  CHECK(tuner.chosen() == 2);
}

TEST_CASE("a tuner that may not adapt, or has one thread, never probes") {
  ThreadTuner fixed(8, false), single(1);
  for (int step = 0; step < 20; ++step) {
    CHECK(fixed.threads() == 8);
    CHECK(single.threads() == 1);
    fixed.record(0.5);
    single.record(0.5);
  }
}
