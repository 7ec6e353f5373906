// The kernel gradient of a long sum (a convolution's, over every output pixel of a batch), taken
// in cache-sized blocks of rows: against a double-precision reference, and bit for bit against
// the unblocked product on 1 and 3 threads.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include <cmath>
#include <cstring>
#include <random>

using namespace ctnn;

namespace {

struct Buffers {
  Arena arena;
  explicit Buffers(std::size_t floats) : arena(floats * sizeof(float)) {}
  float* data() { return in_arena(arena.data(), 0); }
};

}  // namespace

TEST_CASE("the kernel gradient of a long sum, in blocks of rows, is the unblocked one bit for bit") {
  const std::size_t inputs = 19, outputs = 37, rows = 5000;  // several blocks, odd sizes, a partial last block
  const codegen::DenseShape shape{inputs, outputs, inputs};
  const std::size_t stride = shape.stride();
  REQUIRE(rows > 3 * codegen::kernel_gradient_block_rows(inputs + stride));

  std::mt19937 random(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Buffers x(rows * inputs), delta(rows * stride), kernel(inputs * stride), running(inputs * stride);
  for (std::size_t i = 0; i < rows * inputs; ++i) x.data()[i] = normal(random);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t o = 0; o < outputs; ++o) delta.data()[r * stride + o] = normal(random);
  for (std::size_t i = 0; i < inputs; ++i)
    for (std::size_t o = 0; o < outputs; ++o) kernel.data()[i * stride + o] = normal(random);
  const RegularizerSpec regularizer{.l1 = 0.01f, .l2 = 0.02f};

  Buffers unblocked(inputs * stride);
  codegen::kernel_gradient(shape, regularizer, x.data(), rows, delta.data(), kernel.data(), unblocked.data(), 1);
  for (std::size_t i = 0; i < inputs; ++i)
    for (std::size_t o = 0; o < outputs; ++o) {
      double sum = 0.0;
      for (std::size_t r = 0; r < rows; ++r) sum += double(x.data()[r * inputs + i]) * delta.data()[r * stride + o];
      const double w = kernel.data()[i * stride + o];
      sum += regularizer.l1 * (w > 0 ? 1.0 : w < 0 ? -1.0 : 0.0) + 2.0 * regularizer.l2 * w;
      INFO("dW(" << i << ", " << o << ")");
      CHECK(unblocked.data()[i * stride + o] == Approx(sum).epsilon(1e-4).margin(1e-3));
    }

  for (const std::size_t threads : {1, 3}) {
    INFO(threads << " threads");
    Buffers blocked(inputs * stride);
    codegen::kernel_gradient_blocked(shape, regularizer, x.data(), rows, delta.data(), kernel.data(), running.data(),
                                     codegen::StoreGradient{blocked.data()}, threads);
    CHECK(std::memcmp(blocked.data(), unblocked.data(), inputs * stride * sizeof(float)) == 0);
  }
}
