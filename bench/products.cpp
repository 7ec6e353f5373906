// The three products of a dense layer's training step, one at a time, on the shapes of the
// benchmark's networks at batch 200: GFLOP/s of the forward product (Y = X W, bias and ReLU fused),
// the kernel gradient (dW = X^T dZ) and the input gradient (dX = dZ W^T), with the shapes fixed at
// compile time as the generated code has them. Where a network's step loses time, this says which
// product and which shape. Prints one line per product; medians of 15 runs.
//   bench_products [THREADS]
#include <cstdio>
#include <cstdlib>
#include <ctnn/ctnn.hpp>
#include <random>

#include "timing.hpp"

using namespace ctnn;

namespace {

constexpr std::size_t batch = 200;

struct Buffers {
  Arena arena;
  explicit Buffers(std::size_t floats) : arena(floats * sizeof(float)) {}
  float* data() { return in_arena(arena.data(), 0); }
};

void fill(float* data, std::size_t count, std::mt19937& random) {
  std::normal_distribution<float> normal(0.0f, 0.1f);
  for (std::size_t i = 0; i < count; ++i) data[i] = normal(random);
}

template <std::size_t In, std::size_t Out>
void measure(std::size_t threads) {
  using codegen::fixed;
  const codegen::DenseShape shape{fixed<In>{}, fixed<Out>{}, fixed<simd::padded(In)>{}};
  constexpr std::size_t stride = simd::padded(Out), in_stride = simd::padded(In);
  std::mt19937 random(1);
  Buffers x(batch * in_stride), kernel(In * stride), bias(stride), y(batch * stride), delta(batch * stride),
      gradient(In * stride), packed(stride * in_stride), previous(batch * in_stride);
  fill(x.data(), batch * in_stride, random);
  fill(kernel.data(), In * stride, random);
  fill(bias.data(), stride, random);
  fill(delta.data(), batch * stride, random);
  codegen::transpose_kernel(shape, kernel.data(), packed.data());
  const double flops = 2.0 * batch * In * Out;
  const auto report = [&](const char* product, auto&& work) {
    for (int warm = 0; warm < 3; ++warm) work();
    const double seconds = bench::quantile(bench::time_runs(15, work), 0.5);
    std::printf("%4zu x %4zu  %-15s %8.1f us %7.1f GFLOP/s\n", In, Out, product, seconds * 1e6, flops / seconds / 1e9);
  };
  report("forward", [&] {
    codegen::dense_forward<ReLU>(shape, x.data(), batch, kernel.data(), bias.data(), y.data(), threads);
  });
  report("kernel gradient", [&] {
    codegen::kernel_gradient(shape, NoRegularizer{}, x.data(), batch, delta.data(), kernel.data(), gradient.data(),
                             threads);
  });
  report("input gradient", [&] {
    codegen::input_gradient(shape, delta.data(), batch, packed.data(), [](std::size_t, simd::floats g) { return g; },
                            previous.data(), threads);
  });
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t threads = argc > 1 ? std::size_t(std::atoi(argv[1])) : 1;
  std::printf("batch %zu, %zu thread(s), %s\n", batch, threads, simd::architecture_name());
  measure<784, 400>(threads);
  measure<400, 20>(threads);
  measure<784, 1024>(threads);
  measure<1024, 512>(threads);
  measure<512, 256>(threads);
  measure<256, 10>(threads);
}
