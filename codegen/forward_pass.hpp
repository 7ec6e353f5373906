// The forward pass of a whole Net, layer by layer, over parameters laid out by model_plan.
#pragma once

#include <boost/hana/for_each.hpp>
#include <cstddef>

#include "arena.hpp"
#include "dense_forward.hpp"
#include "layout.hpp"
#include "memory_plan.hpp"

namespace ctnn::codegen {

template <NetType N, std::size_t Layer>
const float* kernel_in(const std::byte* arena) {
  return in_arena(arena, model_plan<N>.offset(BufferRole::kernel, Layer));
}
template <NetType N, std::size_t Layer>
const float* bias_in(const std::byte* arena) {
  return in_arena(arena, model_plan<N>.offset(BufferRole::bias, Layer));
}
template <NetType N, std::size_t Layer>
float* batch_norm_in(std::byte* arena) {
  return in_arena(arena, model_plan<N>.offset(BufferRole::batch_norm, Layer));
}
template <NetType N, std::size_t Layer>
const float* batch_norm_in(const std::byte* arena) {
  return in_arena(arena, model_plan<N>.offset(BufferRole::batch_norm, Layer));
}

// x: rows x N::input_size, contiguous. output_of(hana::size_c<l>) says where layer l writes
// (rows x Layout<N>::stride[l]), batch normalised with the moving statistics where the Net says;
// the last layer's buffer holds the probabilities.
template <NetType N, Extent Rows, class OutputOf>
void forward_pass(const std::byte* arena, const float* x, Rows rows, OutputOf&& output_of, std::size_t threads = 1) {
  boost::hana::for_each(N::layer_indices, [&](auto index) {
    constexpr std::size_t l = decltype(index)::value;
    const float* input;
    if constexpr (l == 0) input = x;
    else input = output_of(boost::hana::size_c<l - 1>);
    using layer = typename N::template layer<l>;
    float* output = output_of(boost::hana::size_c<l>);
    dense_forward<typename layer::activation>(Layout<N>::template shape<l>(), input, rows, kernel_in<N, l>(arena),
                                              bias_in<N, l>(arena), output, threads);
    if constexpr (layer::has_batch_norm)
      batch_norm_rows(fixed<Layout<N>::stride[l]>{}, batch_norm_in<N, l>(arena), batch_norm_epsilon, output,
                      std::size_t(rows));
  });
}

}  // namespace ctnn::codegen
