// A network's training step as its products: each layer's products (the protocol's products())
// planned as gemm() runs them (codegen/product_plan.hpp), and the table Net::describe_products and
// engine::Network::describe_products print. The plans are constants in a Net.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "protocol.hpp"

namespace ctnn::layers {

using ProductPlans = FixedList<codegen::ProductPlan, max_products>;

// The plans of a layer's products on `threads` threads at mini-batch size `batch`; none for a kind
// without products().
template <class Kind>
constexpr ProductPlans plan_products(const Kind& kind, const Shape& input, std::size_t input_stride, std::size_t batch,
                                     bool passes_gradient, std::size_t threads) {
  ProductPlans plans;
  if constexpr (requires { kind.products(input, input_stride, batch, passes_gradient); })
    for (const codegen::Product& product : kind.products(input, input_stride, batch, passes_gradient))
      plans.push_back(codegen::plan_product(product, threads));
  return plans;
}

// One row per product: the layer's Keras name, the product, m x n x k, the kernel's choices, its
// multiply-adds and their share of the step; then the step's totals.
std::string product_table(std::span<const std::string_view> keras_types, std::span<const ProductPlans> plans,
                          std::size_t batch, std::size_t threads);

}  // namespace ctnn::layers
