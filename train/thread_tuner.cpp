#include "thread_tuner.hpp"

#include <algorithm>

namespace ctnn {

ThreadTuner::ThreadTuner(std::size_t most, bool adapt) {
  for (std::size_t count = std::max<std::size_t>(most, 1);; count /= 2) {
    candidates_.push_back(count);
    if (count == 1 || !adapt) break;
  }
  median_.assign(candidates_.size(), 0.0);
}

void ThreadTuner::record(double seconds) {
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

}  // namespace ctnn
