// The cost model of the products of training: each product as its kernel runs it (a Product,
// which the kernel itself reads for its thread split), and what gemm() chooses for it from the
// shapes (a ProductPlan): register tile, loop order, packing, blocks of k, threads, multiply-adds.
// The functions are constexpr: a Net's plan is a constant (Net::product_plan), the engine's the
// same numbers computed at run time. gemm() takes its choices from the same functions (gemm.hpp),
// so the plan says what runs, not what was meant to.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

#include "gemm.hpp"
#include "narrow_product.hpp"
#include "simd.hpp"
#include "thread_pool.hpp"

namespace ctnn::codegen {

enum class ProductKernel : unsigned char {
  gemm,                // gemm() over B as stored
  gemm_packed_a,       // gemm() over panels of A packed a block of k at a time (a convolution's im2col)
  direct_convolution,  // image_kernels.inc's convolution, sample by sample (m counts output pixels)
  narrow,              // narrow_product(): C transposed, A's rows in lanes, C's few columns in registers
};

// What a parallel loop of a product runs over: its items are split into contiguous ranges, one per
// thread (parallel_ranges).
enum class SplitOver : unsigned char { rows, columns, samples };

// One product C (m x n) = A (m x k) * B (k x n) of a layer, as its kernel calls gemm.
struct Product {
  std::string_view name;  // "forward", "kernel gradient", "input gradient"
  ProductKernel kernel = ProductKernel::gemm;
  std::size_t m = 0, n = 0, k = 0;  // n counts C's real columns; gemm computes them padded to whole vectors
  std::size_t ldb = 0;              // floats from one row of B to the next
  bool a_transposed = false;        // A read as a[kk * lda + row] (AOrder::transposed)
  std::size_t lda = 0;              // floats from one row of A (one step of k, transposed) to the next
  bool holds_partial_sums = false;  // the epilogue can hold sums between blocks of k (HoldsPartialSums)
  bool depth_is_batch = false;      // k is the batch's rows: a run-time value in both backends
  std::size_t k_block = 0;          // the kernel itself runs k in blocks of this many (0: gemm's choice)
  // Threads: parallel_ranges(threads, split_count, grain, min_count) over the split's items.
  SplitOver split = SplitOver::rows;
  std::size_t split_count = 0, grain = 1, min_count = 1;

  // parallel_ranges over this product's split.
  template <class F>
  void parallel(std::size_t threads, F&& f) const {
    parallel_ranges(threads, split_count, grain, min_count, f);
  }
};

// gemm()'s choices for a product on `threads` threads, and its size.
struct ProductPlan {
  Product product;
  std::size_t threads = 1;                        // threads its split gives work to
  std::size_t tile_rows = 0, tile_vectors = 0;    // register tile (0 for a direct convolution)
  bool rows_outermost = false;                    // row tiles outermost (B fits in cache), else column strips
  bool packs_b = false;                           // B read from packed strips
  bool packs_a = false;                           // A copied into panels, a group of row tiles at a time
  std::size_t k_blocks = 1;                       // blocks of k per output
  std::size_t multiply_adds = 0;                  // m * n * k, real columns only
  std::size_t computed_multiply_adds = 0;         // with C's columns padded to whole vectors
  std::size_t b_bytes = 0;                        // B's size as one thread's share of the product reads it
};

// The first part's width, in items, when parallel_ranges splits `count` over `parts`.
constexpr std::size_t first_part(std::size_t count, std::size_t grain, std::size_t parts) {
  const std::size_t grains = (count + grain - 1) / grain;
  return std::min(count, grains / std::max<std::size_t>(parts, 1) * grain);
}

constexpr ProductPlan plan_product(const Product& p, std::size_t threads) {
  ProductPlan plan{.product = p};
  plan.threads = parallel_parts(threads, p.split_count, p.grain, p.min_count);
  const std::size_t padded_n = simd::padded(p.n);
  plan.multiply_adds = p.m * p.n * p.k;
  plan.computed_multiply_adds = p.m * padded_n * p.k;
  if (p.kernel == ProductKernel::direct_convolution) return plan;
  if (p.kernel == ProductKernel::narrow) {
    plan.computed_multiply_adds = simd::padded(p.m) * p.n * p.k;
    plan.tile_rows = narrow_block_vectors(p.n) * simd::lanes, plan.tile_vectors = p.n;
    plan.rows_outermost = true;
    plan.b_bytes = p.k * p.n * sizeof(float);
    return plan;
  }
  plan.tile_rows = codegen::tile_rows;
  plan.tile_vectors = codegen::tile_vectors;
  // Split over columns, each thread's gemm gets its own columns of B; over rows, all of them.
  const std::size_t columns = p.split == SplitOver::columns ? first_part(p.split_count, p.grain, plan.threads) : padded_n;
  const std::size_t depth = p.k_block != 0 ? std::min(p.k_block, p.k) : p.k;
  plan.b_bytes = depth * columns * sizeof(float);
  plan.packs_b = p.kernel == ProductKernel::gemm && packs_b_at(depth, p.ldb, p.holds_partial_sums, !p.depth_is_batch);
  plan.packs_a = p.kernel == ProductKernel::gemm && !plan.packs_b && p.a_transposed && packs_a(depth, p.lda);
  // Packed panels of A: strips inside each group of row tiles, so row tiles are outermost only in groups of one.
  plan.rows_outermost = plan.packs_a ? packed_a_group(depth) == 1 : !plan.packs_b && b_fits_cache(depth, columns);
  const std::size_t block = p.k_block != 0 ? p.k_block : plan.packs_b ? k_block : p.k;
  plan.k_blocks = block == 0 ? 1 : (p.k + block - 1) / block;
  return plan;
}

}  // namespace ctnn::codegen
