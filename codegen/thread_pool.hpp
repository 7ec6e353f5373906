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
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "../error.hpp"
#include "denormals.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ctnn {

// CTNN_NUM_THREADS if set (a positive integer), else the hardware threads.
inline std::size_t default_thread_count() {
  if (const char* text = std::getenv("CTNN_NUM_THREADS"); text && *text) {
    std::size_t count = 0;
    const std::string_view value(text);
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), count);
    if (error != std::errc{} || end != value.data() + value.size() || count == 0 || count > 1024)
      throw Error("CTNN_NUM_THREADS must be a thread count from 1 to 1024, not '" + std::string(value) + "'");
    return count;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

class ThreadPool {
 public:
  ThreadPool() = default;
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  ~ThreadPool() {
    stop_.store(true);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    for (std::thread& thread : threads_) thread.join();
  }

  // Runs job(part) for every part in [0, parts): part 0 on the calling thread, the others on the
  // pool's threads (started when first needed). Returns when all are done. The job must not throw.
  // If another thread is using the pool, every part runs here, one after the other.
  template <class Job>
  void run(std::size_t parts, Job& job) {
    run(parts, &job, [](void* context, std::size_t part) { (*static_cast<Job*>(context))(part); });
  }

  // The same for a job called through invoke(context, part). Not a template: the pool's machinery is
  // compiled once, not once for every parallel loop of every layer.
  void run(std::size_t parts, void* context, void (*invoke)(void*, std::size_t)) {
    std::unique_lock lock(busy_, std::try_to_lock);
    if (!lock.owns_lock() || parts <= 1) {
      for (std::size_t part = 0; part < parts; ++part) invoke(context, part);
      return;
    }
    while (threads_.size() + 1 < parts) {
      const std::size_t index = threads_.size() + 1;
      threads_.emplace_back([this, index] { work(index); });
    }
    job_ = context;
    invoke_ = invoke;
    parts_ = parts;
    mode_ = floating_point_mode();
    // Every pool thread reports back, even those with no part this time: none may still be reading
    // this run's job when the next run replaces it.
    pending_.store(threads_.size(), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    invoke(context, 0);
    Spinner spinner;
    for (std::size_t left; (left = pending_.load(std::memory_order_acquire)) != 0;)
      if (spinner.tired()) pending_.wait(left, std::memory_order_acquire);
  }

 private:
  // How a thread waits for work, or for the others to finish: polling first, since a training step
  // issues parallel products every few tens of microseconds and waking a sleeping thread costs
  // 50-100 us on the virtual machines measured, more than most products take; after 20 us it yields
  // between polls, so that on a busy machine a descheduled partner (or another program) gets the
  // core instead of a spinning waiter; after 2 ms without work it sleeps (futex).
  class Spinner {
   public:
    // Called between polls; true when the waiter should sleep.
    bool tired() {
      if (yielding_) std::this_thread::yield();
      else pause();
      if (++polls_ % 16 != 0) return false;
      const auto waited = std::chrono::steady_clock::now() - start_;
      yielding_ = waited > std::chrono::microseconds(20);
      return waited > std::chrono::milliseconds(2);
    }

   private:
    static void pause() {
#if defined(__SSE2__)
      _mm_pause();
#endif
    }
    std::size_t polls_ = 0;
    bool yielding_ = false;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  };

  void work(std::size_t index) {
    std::uint64_t seen = 0;
    for (;;) {
      std::uint64_t now = generation_.load(std::memory_order_acquire);
      for (Spinner spinner; now == seen; now = generation_.load(std::memory_order_acquire))
        if (spinner.tired()) generation_.wait(seen, std::memory_order_acquire);
      seen = now;
      if (stop_.load()) return;
      if (index < parts_) {
        set_floating_point_mode(mode_);
        invoke_(job_, index);
      }
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
    }
  }

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
template <class F>
void parallel_ranges(std::size_t threads, std::size_t count, std::size_t grain, std::size_t min_count, F&& f) {
  const std::size_t grains = (count + grain - 1) / grain;
  const std::size_t by_size = std::max<std::size_t>(1, count / std::max<std::size_t>(min_count, 1));
  const std::size_t parts = std::min({threads, grains, by_size});
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
