// Timing helpers for the benchmarks: repeated runs, per-call latencies and their summaries.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <vector>

namespace ctnn::bench {

using clock_type = std::chrono::steady_clock;

inline double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

// The q-quantile (0..1) of samples, nearest rank.
inline double quantile(std::vector<double> samples, double q) {
  if (samples.empty()) return 0.0;
  std::sort(samples.begin(), samples.end());
  return samples[std::size_t(q * double(samples.size() - 1) + 0.5)];
}

// Seconds for each of `runs` calls of work().
template <class F>
std::vector<double> time_runs(std::size_t runs, F&& work) {
  std::vector<double> seconds;
  seconds.reserve(runs);
  for (std::size_t i = 0; i < runs; ++i) {
    const auto start = clock_type::now();
    work();
    seconds.push_back(seconds_since(start));
  }
  return seconds;
}

// What reading the clock twice costs, to subtract from per-call latencies of sub-microsecond calls.
inline double timer_overhead_seconds() {
  return quantile(time_runs(20000, [] {}), 0.5);
}

}  // namespace ctnn::bench
