#include "thread_pool.hpp"

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>

#include "../error.hpp"
#include "denormals.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ctnn {

std::size_t default_thread_count() {
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

// How a thread waits for work, or for the others to finish: polling first, since a training step
// issues parallel products every few tens of microseconds and waking a sleeping thread costs
// 50-100 us on the virtual machines measured, more than most products take; after 20 us it yields
// between polls, so that on a busy machine a descheduled partner (or another program) gets the
// core instead of a spinning waiter; after 2 ms without work it sleeps (futex).
class ThreadPool::Spinner {
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

ThreadPool::~ThreadPool() {
  stop_.store(true);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

void ThreadPool::run(std::size_t parts, void* context, void (*invoke)(void*, std::size_t)) {
  std::unique_lock lock(busy_, std::try_to_lock);
  if (!lock.owns_lock() || parts <= 1) {
    for (std::size_t part = 0; part < parts; ++part) invoke(context, part);
    return;
  }
  // A thread added now waits for the generation after this one: starting from 0 instead, it took the
  // current generation of a pool used before for a new job and ran the previous run's (gone) job.
  while (threads_.size() + 1 < parts) {
    const std::size_t index = threads_.size() + 1;
    threads_.emplace_back([this, index, seen = generation_.load(std::memory_order_relaxed)] { work(index, seen); });
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

void ThreadPool::work(std::size_t index, std::uint64_t seen) {
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

}  // namespace ctnn
