// How many threads fit's training steps use, chosen from measurements during the run. On a machine
// with fewer free cores than threads (another program busy, a laptop on battery), the threads of a
// step wait for descheduled partners at every product and fewer of them are faster; on a quiet
// machine all of them are. Every thread count computes the same numbers bit for bit, so the choice
// changes how long training takes, never its result.
#pragma once

#include <algorithm>
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
  explicit ThreadTuner(std::size_t most, bool adapt = true) {
    for (std::size_t count = std::max<std::size_t>(most, 1);; count /= 2) {
      candidates_.push_back(count);
      if (count == 1 || !adapt) break;
    }
    median_.assign(candidates_.size(), 0.0);
  }

  // The thread count for the next step.
  std::size_t threads() const { return probing_ ? candidates_[probed_] : candidates_[chosen_]; }
  // The count the last round of probes chose (the most, before any round ended).
  std::size_t chosen() const { return candidates_[chosen_]; }
  bool probing() const { return probing_; }

  // The time of the step just run with threads() threads (a full batch: a short last batch says
  // nothing about the others).
  void record(double seconds) {
    if (candidates_.size() == 1) return;
    if (!probing_) {
      since_probe_ += seconds;
      if (since_probe_ >= seconds_between_probes) {  // a new round of probes, from the most threads
        probing_ = true;
        probed_ = 0;
        since_probe_ = 0.0;
      }
      return;
    }
    samples_.push_back(seconds);
    if (samples_.size() < probe_steps) return;
    std::ranges::nth_element(samples_, samples_.begin() + probe_steps / 2);
    median_[probed_] = samples_[probe_steps / 2];
    samples_.clear();
    if (++probed_ < candidates_.size()) return;
    // The most threads unless fewer are clearly faster.
    chosen_ = 0;
    for (std::size_t c = 1; c < candidates_.size(); ++c)
      if (median_[c] < required_gain * median_[chosen_]) chosen_ = c;
    probing_ = false;
  }

 private:
  std::vector<std::size_t> candidates_;
  std::vector<double> median_;
  std::vector<double> samples_;
  std::size_t probed_ = 0, chosen_ = 0;
  bool probing_ = true;
  double since_probe_ = 0.0;
};

}  // namespace ctnn
