// The machine's measured peak: fused multiply-add throughput with independent chains in every
// register, on 1..N threads at once. bench/compare.py runs it first and reports each backend's
// speed as a fraction of it. Prints JSON: {"simd": ..., "gflops": {"1": ..., "2": ...}}.
//   bench_fma_peak THREADS...
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include <ctnn/codegen/simd.hpp>

namespace {

using ctnn::simd::floats;

// Enough chains to hide the FMA latency on two FMA units (4 cycles x 2), leaving registers free.
constexpr int chains = ctnn::simd::vector_registers >= 32 ? 24 : 12;

[[gnu::noinline]] float fma_chains(long iterations) {
  floats acc[chains];
  for (int i = 0; i < chains; ++i) acc[i] = floats(float(i) * 1e-3f);
  const floats a(0.9999999f), b(1e-7f);
  for (long n = 0; n < iterations; ++n) {
#pragma GCC unroll 24
    for (int i = 0; i < chains; ++i) acc[i] = ctnn::simd::fma(acc[i], a, b);
  }
  floats sum = acc[0];
  for (int i = 1; i < chains; ++i) sum += acc[i];
  return xsimd::hadd(sum);
}

double gflops(unsigned threads) {
  constexpr long iterations = 20'000'000;
  double best = 0.0;
  for (int repeat = 0; repeat < 3; ++repeat) {
    std::vector<float> sink(threads);
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> workers;
    for (unsigned t = 0; t < threads; ++t) workers.emplace_back([&, t] { sink[t] = fma_chains(iterations); });
    for (std::thread& worker : workers) worker.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (sink[0] == 42.0f) std::puts("");  // keeps the work
    best = std::max(best, 2.0 * chains * double(ctnn::simd::lanes) * double(iterations) * threads / seconds / 1e9);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::printf("{\"simd\": \"%s\", \"gflops\": {", ctnn::simd::architecture_name());
  for (int i = 1; i < argc; ++i) std::printf("%s\"%d\": %.1f", i > 1 ? ", " : "", std::atoi(argv[i]), gflops(unsigned(std::atoi(argv[i]))));
  std::printf("}}\n");
}
