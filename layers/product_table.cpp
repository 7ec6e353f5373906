#include "product_table.hpp"

#include <cstdio>
#include <vector>

#include "../dsl/keras_names.hpp"
#include "../dsl/summary.hpp"

namespace ctnn::layers {

namespace {

const char* kernel_text(codegen::ProductKernel kernel) {
  switch (kernel) {
    case codegen::ProductKernel::gemm: return "gemm";
    case codegen::ProductKernel::gemm_packed_a: return "gemm, A packed";
    case codegen::ProductKernel::direct_convolution: return "direct conv";
    case codegen::ProductKernel::narrow: return "rows in lanes";
  }
  return "?";
}

const char* split_text(codegen::SplitOver split) {
  switch (split) {
    case codegen::SplitOver::rows: return "rows";
    case codegen::SplitOver::columns: return "columns";
    case codegen::SplitOver::samples: return "samples";
  }
  return "?";
}


}  // namespace

std::string product_table(std::span<const std::string_view> keras_types, std::span<const ProductPlans> plans,
                          std::size_t batch, std::size_t threads) {
  char line[256];
  std::snprintf(line, sizeof line,
                "Products of a training step at batch %zu on %zu thread%s (%s: %zu floats a vector, register tile %zu rows x "
                "%zu vectors;\nB read in place up to %zu KiB%s)\n",
                batch, threads, threads == 1 ? "" : "s", simd::architecture_name(), simd::lanes, codegen::tile_rows,
                codegen::tile_vectors, codegen::l2_budget_bytes / 1024,
                codegen::tile_hides_strided_b ? ", larger B packed in strips when its rows are a multiple of 2 KiB apart"
                                              : ", larger B packed in strips when its rows are 2 KiB or more apart");
  std::string text = line;
  const char* format = "%-22s %-16s %-20s %-15s %-13s %-17s %-9s %-13s %14s %7s %5s\n";
  std::snprintf(line, sizeof line, format, "layer", "product", "m x n x k", "kernel", "loop order", "B", "k blocks",
                "threads", "mult-adds", "share", "fill");
  text += line;
  std::size_t total = 0, computed = 0;
  for (const ProductPlans& layer : plans)
    for (const codegen::ProductPlan& plan : layer) total += plan.multiply_adds, computed += plan.computed_multiply_adds;
  const std::vector<std::string> names =
      keras_layer_names(keras_types.size(), [&](std::size_t i) { return keras_types[i]; });
  for (std::size_t i = 0; i < plans.size(); ++i)
    for (const codegen::ProductPlan& plan : plans[i]) {
      const codegen::Product& p = plan.product;
      const bool direct = p.kernel == codegen::ProductKernel::direct_convolution;
      const char* kernel = plan.packs_a ? "gemm, A packed" : kernel_text(p.kernel);
      const std::string shape = std::to_string(p.m) + " x " + std::to_string(p.n) + " x " + std::to_string(p.k);
      const std::string order = direct ? "-" : plan.rows_outermost ? "rows outer" : "strips outer";
      const std::string b = direct ? "-"
                                   : std::string(plan.packs_b ? "packed " : "in place ") +
                                         std::to_string((plan.b_bytes + 1023) / 1024) + " KiB";
      const std::string split =
          plan.threads == 1 ? "1" : std::to_string(plan.threads) + " by " + split_text(p.split);
      char share[16], fill[16];
      std::snprintf(share, sizeof share, "%.1f%%", total ? 100.0 * double(plan.multiply_adds) / double(total) : 0.0);
      std::snprintf(fill, sizeof fill, "%.0f%%",
                    plan.computed_multiply_adds ? 100.0 * double(plan.multiply_adds) / double(plan.computed_multiply_adds) : 0.0);
      std::snprintf(line, sizeof line, format, names[i].c_str(), std::string(p.name).c_str(), shape.c_str(), kernel,
                    order.c_str(), b.c_str(), direct ? "-" : std::to_string(plan.k_blocks).c_str(), split.c_str(),
                    ctnn::detail::with_thousands(plan.multiply_adds).c_str(), share, fill);
      text += line;
    }
  // Two vector FMAs a cycle: what the cores this library targets issue (AVX2 and AVX-512 alike).
  const std::size_t cycles = (computed + 2 * simd::lanes - 1) / (2 * simd::lanes);
  std::snprintf(line, sizeof line,
                "Multiply-adds a step: %s (%s computed: columns padded to whole vectors); at two vector FMAs a cycle, "
                "at least %s cycles on one core\n",
                ctnn::detail::with_thousands(total).c_str(), ctnn::detail::with_thousands(computed).c_str(),
                ctnn::detail::with_thousands(cycles).c_str());
  return text + line;
}

}  // namespace ctnn::layers
