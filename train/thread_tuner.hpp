// How many threads fit's training steps use, chosen from measurements during the run. On a machine
// with fewer free cores than threads (another program busy, a laptop on battery), the threads of a
// step wait for descheduled partners at every product and fewer of them are faster; on a quiet
// machine all of them are. Every thread count computes the same numbers bit for bit, so the choice
// changes how long training takes, never its result.
#pragma once

#include <cstddef>
#include <vector>

namespace ctnn {

class ThreadTuner {
 public:
  // Steps timed per candidate in a round of probes; their median is compared.
  static constexpr std::size_t probe_steps = 3;
  // Seconds of steps between rounds of probes: the machine's load can change.
  static constexpr double seconds_between_probes = 2.0;
  // Fewer threads are chosen only when they are this much faster: noise must not flip the choice.
  static constexpr double required_gain = 0.9;

  // Candidates: most, most / 2, ..., 1; only `most` when not adapting.
  explicit ThreadTuner(std::size_t most, bool adapt = true);

  // The thread count for the next step.
  std::size_t threads() const { return probing_ ? candidates_[probed_] : candidates_[chosen_]; }
  // The count the last round of probes chose (the most, before any round ended).
  std::size_t chosen() const { return candidates_[chosen_]; }
  bool probing() const { return probing_; }

  // The time of the step just run with threads() threads (a full batch: a short last batch says
  // nothing about the others).
  void record(double seconds);

 private:
  std::vector<std::size_t> candidates_;
  std::vector<double> median_;
  std::vector<double> samples_;
  std::size_t probed_ = 0, chosen_ = 0;
  bool probing_ = true;
  double since_probe_ = 0.0;
};

}  // namespace ctnn
