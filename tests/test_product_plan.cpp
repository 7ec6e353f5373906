// The cost model of a training step's products (codegen/product_plan.hpp): the products a Net lists
// against sizes worked out by hand, the engine's plan against the Net's, and the choices it states
// against what gemm() and parallel_ranges() are seen to do when they run.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cmath>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "multiply_add.hpp"

using namespace ctnn;

namespace {

using SeedNet = Net<Dense<784, 400, ReLU>, Dense<400, 20>, Softmax<10>>;
using WideNet = Net<Dense<784, 1024, ReLU>, Dense<1024, 512, ReLU>, Softmax<10>>;
using SmallCnn = Net<Input<28, 28, 1>, Conv2D<32, 3, 3, ReLU, Same>, MaxPool2D<2>, Conv2D<16, 3, 3, ReLU, Valid, Strides<2>>, Flatten,
                     Dense<inferred, 64>, Softmax<10>>;

// A plan is a constant of the type.
constexpr auto seed_plan = SeedNet::product_plan(200, 2);
static_assert(seed_plan[0].size() == 2 && seed_plan[1].size() == 3, "the first layer passes no input gradient");
static_assert(seed_plan[0][0].multiply_adds == 200 * 400 * 784);

struct Expected {
  std::size_t m, n, k;
  std::size_t threads;
  codegen::SplitOver split;
  bool rows_outermost;
};

void check(const codegen::ProductPlan& plan, std::string_view name, const Expected& e) {
  INFO(std::string(name) << " " << e.m << " x " << e.n << " x " << e.k);
  CHECK(plan.product.name == name);
  CHECK(plan.product.m == e.m);
  CHECK(plan.product.n == e.n);
  CHECK(plan.product.k == e.k);
  CHECK(plan.threads == e.threads);
  if (e.threads > 1) CHECK(plan.product.split == e.split);
  CHECK(plan.rows_outermost == e.rows_outermost);
  CHECK(plan.multiply_adds == e.m * e.n * e.k);
}

// The (row, column) of every vector a product hands its epilogue, in order.
struct Recorder {
  std::vector<std::pair<std::size_t, std::size_t>>* calls;
  void operator()(std::size_t r, std::size_t c, codegen::floats) const { calls->emplace_back(r, c); }
};
// The same, holding partial sums between blocks of k as ForwardEpilogue does.
struct PartialRecorder : Recorder {
  float* sums;
  std::size_t stride;
  std::size_t* partial_calls;
  float* partial(std::size_t r, std::size_t c) const {
    ++*partial_calls;
    return sums + r * stride + c;
  }
};

// Runs gemm on zero matrices of the plan's product, as one thread's share reads them, and reports
// whether its row tiles were outermost (the first row tile went on to the second column strip before
// the second row tile began) and whether it kept partial sums between blocks of k.
struct Observed {
  bool rows_outermost;
  bool blocked;
};
Observed run_gemm(const codegen::ProductPlan& plan) {
  const codegen::Product& p = plan.product;
  const std::size_t columns = p.split == codegen::SplitOver::columns && plan.threads > 1
                                  ? codegen::first_part(p.split_count, p.grain, plan.threads)
                                  : simd::padded(p.n);
  const std::size_t rows = p.split == codegen::SplitOver::rows && plan.threads > 1
                               ? codegen::first_part(p.split_count, p.grain, plan.threads)
                               : p.m;
  const std::size_t lda = p.a_transposed ? p.lda : p.k;
  Arena a(std::max(rows, p.k) * lda * sizeof(float) + 64), b(p.k * p.ldb * sizeof(float) + 64),
      c(rows * p.ldb * sizeof(float) + 64);
  std::vector<std::pair<std::size_t, std::size_t>> calls;
  std::size_t partial_calls = 0;
  PartialRecorder recorder{{&calls}, in_arena(c.data(), 0), p.ldb, &partial_calls};
  const float *a_data = in_arena(a.data(), 0), *b_data = in_arena(b.data(), 0);
  if (p.holds_partial_sums)
    codegen::gemm<codegen::AOrder::rows>(rows, columns, p.k, lda, p.ldb, a_data, b_data, recorder);
  else if (p.a_transposed)  // a kernel gradient
    codegen::gemm<codegen::AOrder::transposed>(rows, columns, p.k, lda, p.ldb, a_data, b_data, static_cast<Recorder&>(recorder));
  else
    codegen::gemm<codegen::AOrder::rows>(rows, columns, p.k, lda, p.ldb, a_data, b_data, static_cast<Recorder&>(recorder));
  const auto second_row_tile = std::find_if(calls.begin(), calls.end(), [](auto call) { return call.first >= codegen::tile_rows; });
  const auto second_strip = std::find_if(calls.begin(), calls.end(), [](auto call) {
    return call.second >= codegen::tile_vectors * codegen::lanes;
  });
  REQUIRE(second_row_tile != calls.end());
  REQUIRE(second_strip != calls.end());
  return {second_strip < second_row_tile, partial_calls > 0};
}

}  // namespace

TEST_CASE("the seed network's products, worked out by hand") {
  using codegen::SplitOver;
  const auto one = SeedNet::product_plan(200, 1);
  // B = the 784 x 400 kernel, 1.2 MiB: column strips outermost. dW's B is dZ, 200 x 400 (313 KiB).
  check(one[0][0], "forward", {200, 400, 784, 1, SplitOver::columns, false});
  check(one[0][1], "kernel gradient", {784, 400, 200, 1, SplitOver::columns, false});
  check(one[1][0], "forward", {200, 20, 400, 1, SplitOver::rows, true});
  check(one[1][1], "kernel gradient", {400, 20, 200, 1, SplitOver::rows, true});
  check(one[1][2], "input gradient", {200, 400, 20, 1, SplitOver::rows, true});
  check(one[2][2], "input gradient", {200, 20, 10, 1, SplitOver::rows, true});

  // On two threads the 784 x 400 kernel (1.2 MiB, rows of 400 floats) is split by its columns: 25
  // vectors of 16 floats, or 50 of 8, the first thread taking 12 (or 25) vectors. Its kernel
  // gradient's share of dZ, 200 x 192 floats (150 KiB), then fits: row tiles outermost.
  const auto two = SeedNet::product_plan(200, 2);
  check(two[0][0], "forward", {200, 400, 784, 2, SplitOver::columns, false});
  // (With AVX2's tile, X^T is packed into panels of 6 rows, 5 tiles a group, strips inside each group.)
  check(two[0][1], "kernel gradient", {784, 400, 200, 2, SplitOver::columns, codegen::tile_hides_strided_b});
  // The second layer, 400 x 20: split over rows (each thread's share is over the 64 Ki multiply-adds
  // that make one worth it).
  check(two[1][0], "forward", {200, 20, 400, 2, SplitOver::rows, true});
  // The output layer's 20 x 10 kernel: under a thread's grain of 64 Ki multiply-adds: one thread.
  check(two[2][0], "forward", {200, 10, 20, 1, SplitOver::rows, true});
  CHECK(two[0][0].b_bytes == 784 * (simd::lanes == 16 ? 192 : 200) * sizeof(float));
  // The output layer's 10 columns are computed as 16 (one AVX-512 vector, or two AVX2 ones).
  CHECK(two[2][0].computed_multiply_adds == 200 * simd::padded(10) * 20);

  // The wide network's first kernel, rows of 1024 floats (4 KiB) in 3 MiB: read from packed strips,
  // in blocks of k of 48 KiB strips of AVX2's 2 vectors (768 rows: 768 + 16) or 24 KiB strips of
  // AVX-512's 3 vectors (128 rows: 6 x 128 + 16); SSE's 2 vectors of 4 floats take 1536 rows, all 784.
  const auto wide = WideNet::product_plan(200, 1);
  CHECK(wide[0][0].packs_b);
  CHECK(wide[0][0].k_blocks == (codegen::tile_hides_strided_b ? 7 : simd::lanes == 8 ? 2 : 1));
  // The seed's, rows of 400 floats (1600 bytes): only AVX2's tile needs them packed, and it does not
  // take rows under 2 KiB apart either.
  CHECK_FALSE(one[0][0].packs_b);
  // The wide network's last hidden kernel, 512 x 256, rows of 1 KiB: packed for neither tile.
  CHECK_FALSE(wide[2][0].packs_b);
  // A kernel gradient's depth is the batch, known only at run time, and its epilogue holds no sums: its B
  // is never packed. Its A, X read transposed (rows of 784 floats, 200 of them), is packed into panels
  // for AVX2's tile: 4,800 bytes a tile, 5 tiles to 24 KiB. Not the second layer's (rows of 400 floats).
  CHECK_FALSE(wide[0][1].packs_b);
  CHECK(one[0][1].packs_a == !codegen::tile_hides_strided_b);
  CHECK(wide[0][1].packs_a == !codegen::tile_hides_strided_b);
  CHECK_FALSE(one[1][1].packs_a);
  CHECK_FALSE(one[0][0].packs_a);
}

TEST_CASE("a convolutional network's products, worked out by hand") {
  const auto plan = SmallCnn::product_plan(64, 1);
  REQUIRE(plan.size() == 6);
  // Conv2D 32 3x3 'same' on 28 x 28 x 1: 784 pixels a sample, 9 taps; the first layer passes no gradient.
  REQUIRE(plan[0].size() == 2);
  CHECK(plan[0][0].product.kernel == codegen::ProductKernel::direct_convolution);
  CHECK(plan[0][0].multiply_adds == 64 * 784 * 32 * 9);
  CHECK(plan[0][1].product.kernel == codegen::ProductKernel::gemm_packed_a);
  CHECK(plan[0][1].product.m == 9);
  CHECK(plan[0][1].product.k == 64 * 784);
  // Blocks of the im2col's rows that fill 256 KiB with 9 taps + 32 filters a row (164 bytes): 1598
  // rows, down to whole tiles of 8 (AVX-512) or 6 (AVX2) rows; 50,176 rows in 32 blocks either way.
  CHECK(plan[0][1].product.k_block == (codegen::tile_rows == 8 ? 1592 : 1596));
  CHECK(plan[0][1].k_blocks == 32);
  REQUIRE(plan[1].empty());  // pooling: no product
  // Conv2D 16 3x3 'valid' stride 2 on 14 x 14 x 32: 6 x 6 pixels, 288 taps; its input gradient is a
  // dense product (then col2im): 64 * 36 rows, 288 columns, summed over 16 filters.
  REQUIRE(plan[2].size() == 3);
  CHECK(plan[2][2].product.kernel == codegen::ProductKernel::gemm);
  CHECK(plan[2][2].product.m == 64 * 36);
  CHECK(plan[2][2].product.n == 288);
  CHECK(plan[2][2].product.k == 16);
  // Dense 576 -> 64.
  CHECK(plan[4][0].multiply_adds == 64 * 576 * 64);
}

TEST_CASE("the engine plans the same products as the Net") {
  const auto check_same = [](const auto& net_plan, const engine::Network& twin, std::size_t batch, std::size_t threads) {
    const std::vector<layers::ProductPlans> engine_plan = twin.product_plan(batch, threads);
    REQUIRE(engine_plan.size() == net_plan.size());
    for (std::size_t i = 0; i < net_plan.size(); ++i) {
      REQUIRE(engine_plan[i].size() == net_plan[i].size());
      for (std::size_t j = 0; j < net_plan[i].size(); ++j) {
        INFO("layer " << i << " product " << j);
        const codegen::ProductPlan &a = net_plan[i][j], &b = engine_plan[i][j];
        CHECK(a.product.name == b.product.name);
        CHECK(a.product.m == b.product.m);
        CHECK(a.product.n == b.product.n);
        CHECK(a.product.k == b.product.k);
        CHECK(a.threads == b.threads);
        CHECK(a.rows_outermost == b.rows_outermost);
        CHECK(a.packs_b == b.packs_b);
        CHECK(a.k_blocks == b.k_blocks);
        CHECK(a.computed_multiply_adds == b.computed_multiply_adds);
      }
    }
  };
  for (const std::size_t threads : {1, 2, 5}) {
    check_same(SeedNet::product_plan(200, threads), engine::Network{SeedNet::spec()}, 200, threads);
    check_same(WideNet::product_plan(37, threads), engine::Network{WideNet::spec()}, 37, threads);
    check_same(SmallCnn::product_plan(64, threads), engine::Network{SmallCnn::spec()}, 64, threads);
  }
  CHECK(SeedNet::describe_products(200, 2) == engine::Network{SeedNet::spec()}.describe_products(200, 2));
}

TEST_CASE("gemm runs its products as the plan says") {
  std::vector<codegen::ProductPlan> plans;
  for (const std::size_t threads : {1, 2})
    for (const auto& layer : WideNet::product_plan(200, threads))
      for (const codegen::ProductPlan& plan : layer) plans.push_back(plan);
  for (const auto& layer : SeedNet::product_plan(200, 2))
    for (const codegen::ProductPlan& plan : layer) plans.push_back(plan);
  std::size_t run = 0, rows_outer = 0;
  for (const codegen::ProductPlan& plan : plans) {
    const codegen::Product& p = plan.product;
    // Loop order shows only with two row tiles and two column strips.
    if (p.m < 2 * codegen::tile_rows * plan.threads || simd::padded(p.n) < 2 * codegen::tile_vectors * simd::lanes * plan.threads)
      continue;
    INFO(p.name << " " << p.m << " x " << p.n << " x " << p.k << " on " << plan.threads << " threads");
    const Observed seen = run_gemm(plan);
    CHECK(seen.rows_outermost == plan.rows_outermost);
    CHECK(seen.blocked == (plan.k_blocks > 1));
    ++run, rows_outer += seen.rows_outermost;
  }
  // Both loop orders were seen.
  CHECK(run >= 6);
  CHECK(rows_outer > 0);
  CHECK(rows_outer < run);
}

TEST_CASE("parallel_ranges gives a product the threads its plan says") {
  for (const std::size_t threads : {1, 2, 3, 8})
    for (const auto& layer : SeedNet::product_plan(200, threads))
      for (const codegen::ProductPlan& plan : layer) {
        std::mutex mutex;
        std::vector<std::pair<std::size_t, std::size_t>> ranges;
        plan.product.parallel(threads, [&](std::size_t begin, std::size_t end) {
          std::lock_guard lock(mutex);
          ranges.emplace_back(begin, end);
        });
        INFO(plan.product.name << " on " << threads << " threads");
        CHECK(ranges.size() == plan.threads);
        std::sort(ranges.begin(), ranges.end());
        CHECK(ranges.front().first == 0);
        CHECK(ranges.back().second == plan.product.split_count);
      }
}

TEST_CASE("the product table names every product with its share of the step") {
  const std::string table = SeedNet::describe_products(200, 2);
  INFO(table);
  CHECK(table.find("batch 200 on 2 threads") != std::string::npos);
  // 784 x 400 x 200 = 62,720,000 multiply-adds, twice, of 130,360,000 in all (48.1% each): 200 x
  // (784 x 400 + 400 x 20 + 20 x 10) forward, the same in the kernel gradients, and 200 x (400 x 20
  // + 20 x 10) in the input gradients.
  CHECK(table.find("dense                  forward          200 x 400 x 784") != std::string::npos);
  CHECK(table.find("62,720,000") != std::string::npos);
  CHECK(table.find("48.1%") != std::string::npos);
  CHECK(table.find("dense_2                input gradient   200 x 20 x 10") != std::string::npos);
  CHECK(table.find("Multiply-adds a step: 130,360,000") != std::string::npos);
  CHECK(table.find("2 by columns") != std::string::npos);
}

// Whichever way the plan reads A and B (in place, or A packed into panels with AVX2's tile), every
// sum of a kernel gradient runs over the batch in order: each result is the chain of the target's
// multiply-adds over the rows (fused where it has FMA), bit for bit. MaxRows > 0: the rows come with that bound, as a Net's
// training step passes them (codegen::at_most), which may settle the way A is read at compile time.
template <std::size_t In, std::size_t Out, std::size_t MaxRows = 0>
void check_kernel_gradient(std::size_t rows, std::size_t threads, bool fixed_shape) {
  constexpr std::size_t stride = simd::padded(Out), in_stride = simd::padded(In);
  Arena x(rows * in_stride * sizeof(float)), dz(rows * stride * sizeof(float)), w(In * stride * sizeof(float)),
      g(In * stride * sizeof(float));
  float *xs = in_arena(x.data(), 0), *deltas = in_arena(dz.data(), 0), *kernel = in_arena(w.data(), 0),
        *gradient = in_arena(g.data(), 0);
  std::mt19937 random(5);
  std::normal_distribution<float> normal;
  for (std::size_t i = 0; i < rows * in_stride; ++i) xs[i] = normal(random);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < stride; ++c) deltas[r * stride + c] = c < Out ? normal(random) : 0.0f;
  std::fill_n(kernel, In * stride, 0.0f);
  const auto run = [&](auto shape) {
    if constexpr (MaxRows > 0)
      codegen::kernel_gradient(shape, NoRegularizer{}, xs, codegen::at_most<MaxRows>{rows}, deltas, kernel, gradient, threads);
    else
      codegen::kernel_gradient(shape, NoRegularizer{}, xs, rows, deltas, kernel, gradient, threads);
  };
  if (fixed_shape) run(codegen::DenseShape{codegen::fixed<In>{}, codegen::fixed<Out>{}, codegen::fixed<in_stride>{}});
  else run(codegen::DenseShape{In, Out, in_stride});
  std::size_t different = 0;
  for (std::size_t i = 0; i < In; ++i)
    for (std::size_t o = 0; o < Out; ++o) {
      float sum = 0.0f;
      for (std::size_t r = 0; r < rows; ++r)
        sum = testing::target_multiply_add(xs[r * in_stride + i], deltas[r * stride + o], sum);
      different += std::memcmp(&sum, &gradient[i * stride + o], sizeof(float)) != 0;
    }
  std::size_t nonzero_padding = 0;  // +0.0f in every padding column, as the optimisers expect
  for (std::size_t i = 0; i < In; ++i)
    for (std::size_t o = Out; o < stride; ++o) nonzero_padding += std::bit_cast<std::uint32_t>(gradient[i * stride + o]) != 0;
  INFO(In << " x " << Out << ", " << rows << " rows (at most " << MaxRows << "), " << threads << " threads, shape fixed: "
          << fixed_shape);
  CHECK(different == 0);
  CHECK(nonzero_padding == 0);
}

TEST_CASE("a kernel gradient is each sum over the batch in order, however the plan reads A") {
  const auto plan = SeedNet::product_plan(200, 1);
  INFO("X^T packed: " << plan[0][1].packs_a);
  for (const std::size_t threads : {1, 2, 3})
    for (const bool fixed_shape : {true, false}) {
      check_kernel_gradient<784, 400>(200, threads, fixed_shape);
      check_kernel_gradient<784, 400>(37, threads, fixed_shape);
      check_kernel_gradient<514, 20>(13, threads, fixed_shape);  // rows of 528 floats, a remainder tile of 4 rows
      // Bounded rows: within the panels' reach (AVX2: X^T packed, compiled that way only), or beyond it.
      check_kernel_gradient<784, 400, 200>(200, threads, fixed_shape);
      check_kernel_gradient<784, 400, 200>(37, threads, fixed_shape);
      check_kernel_gradient<784, 16, 4096>(1100, threads, fixed_shape);
      check_kernel_gradient<784, 16, 4096>(200, threads, fixed_shape);
    }
}

// Layers of a few units: their kernel gradients computed transposed (codegen/narrow_product.hpp)
// where that fills more lanes, still each sum over the batch in order.
TEST_CASE("a narrow layer's kernel gradient, rows in lanes, is each sum over the batch in order") {
  for (const std::size_t threads : {1, 2, 3})
    for (const bool fixed_shape : {true, false})
      for (const std::size_t rows : {1, 7, 200}) {
        check_kernel_gradient<24, 8>(rows, threads, fixed_shape);
        check_kernel_gradient<8, 2>(rows, threads, fixed_shape);
        check_kernel_gradient<16, 4>(rows, threads, fixed_shape);
        check_kernel_gradient<37, 3>(rows, threads, fixed_shape);  // a last vector of 5 inputs (AVX-512)
        check_kernel_gradient<100, 1>(rows, threads, fixed_shape);
        check_kernel_gradient<70, 5>(rows, threads, fixed_shape);
        check_kernel_gradient<200, 7>(rows, threads, fixed_shape);  // blocks of several vectors of inputs
      }
}

TEST_CASE("the plan computes a narrow layer's kernel gradient transposed where that fills more lanes") {
  using Micro = Net<Dense<24, 8, ReLU>, Softmax<2>>;
  constexpr auto plan = Micro::product_plan(200, 1);
  const bool avx512 = simd::lanes == 16, avx2 = simd::lanes == 8;
  // 24 x 8: 32 x 8 lanes transposed against 24 x 16 (AVX-512); 24 x 8 either way (AVX2).
  CHECK((plan[0][1].product.kernel == codegen::ProductKernel::narrow) == avx512);
  // 8 x 2: 16 x 2 against 8 x 16 (AVX-512), 8 x 2 against 8 x 8 (AVX2).
  CHECK((plan[1][1].product.kernel == codegen::ProductKernel::narrow) == (avx512 || avx2));
  if (avx512) CHECK(plan[0][1].computed_multiply_adds == 32 * 8 * 200);
  // The seed network's 20 x 10 output layer: 32 x 10 transposed is no better than 20 x 16.
  CHECK(seed_plan[2][1].product.kernel == codegen::ProductKernel::gemm);
  const std::string table = Micro::describe_products(200, 1);
  INFO(table);
  CHECK((table.find("rows in lanes") != std::string::npos) == (avx512 || avx2));
}
