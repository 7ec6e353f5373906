// The threads of the parallel CPU path: one pool per process, started on first use and reused
// for every step, and parallel_ranges(), which splits a loop into contiguous ranges, one per thread.
//
// Results never depend on the thread count: work is only ever split over outputs (rows or columns
// of a product, elements of an update), never over a sum, so every number is computed by one thread in
// the same order whatever the split. The thread count is CTNN_NUM_THREADS or, unset, the
// hardware's; a model's set_threads() and fit's `threads` option choose per use. When the pool is
// busy (another of the program's threads is training), the caller runs its work alone instead of
// waiting or adding threads: no oversubscription. Workers take the caller's floating-point mode
// (flush-to-zero) for each job.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace ctnn {

// CTNN_NUM_THREADS if set (a positive integer), else the hardware threads.
std::size_t default_thread_count();

class ThreadPool {
 public:
  ThreadPool() = default;
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  ~ThreadPool();

  // Runs job(part) for every part in [0, parts): part 0 on the calling thread, the others on the
  // pool's threads (started when first needed). Returns when all are done. The job must not throw.
  // If another thread is using the pool, every part runs here, one after the other.
  template <class Job>
  void run(std::size_t parts, Job& job) {
    run(parts, &job, [](void* context, std::size_t part) { (*static_cast<Job*>(context))(part); });
  }

  // The same for a job called through invoke(context, part). Not a template: the pool's machinery is
  // compiled once, not once for every parallel loop of every layer.
  void run(std::size_t parts, void* context, void (*invoke)(void*, std::size_t));

 private:
  class Spinner;  // how a thread waits for work
  void work(std::size_t index, std::uint64_t seen);

  std::vector<std::thread> threads_;
  std::mutex busy_;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<std::size_t> pending_{0};
  std::atomic<bool> stop_{false};
  std::size_t parts_ = 0;
  unsigned mode_ = 0;
  void* job_ = nullptr;
  void (*invoke_)(void*, std::size_t) = nullptr;
};

// The process's pool.
inline ThreadPool& thread_pool() {
  static ThreadPool pool;
  return pool;
}

// Calls f(begin, end) on contiguous ranges covering [0, count), in parallel on up to `threads`
// threads. Range boundaries are multiples of `grain` (a register tile's rows, a SIMD vector), and
// no range is given less than `min_count` items' work unless there is only one: small loops run
// on the calling thread alone.
// The number of ranges parallel_ranges makes (1: the calling thread alone).
constexpr std::size_t parallel_parts(std::size_t threads, std::size_t count, std::size_t grain, std::size_t min_count) {
  const std::size_t grains = (count + grain - 1) / grain;
  const std::size_t by_size = std::max<std::size_t>(1, count / std::max<std::size_t>(min_count, 1));
  return std::max<std::size_t>(1, std::min({threads, grains, by_size}));
}

template <class F>
void parallel_ranges(std::size_t threads, std::size_t count, std::size_t grain, std::size_t min_count, F&& f) {
  const std::size_t grains = (count + grain - 1) / grain;
  const std::size_t parts = parallel_parts(threads, count, grain, min_count);
  if (parts <= 1) {
    if (count > 0) f(std::size_t{0}, count);
    return;
  }
  auto job = [&](std::size_t part) {
    const std::size_t begin = std::min(count, grains * part / parts * grain);
    const std::size_t end = std::min(count, grains * (part + 1) / parts * grain);
    if (begin < end) f(begin, end);
  };
  thread_pool().run(parts, job);
}

}  // namespace ctnn
