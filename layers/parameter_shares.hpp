// Which ranges of the parameters' flat layout (and so of the gradients') each process computes when
// several share a training step (codegen/process_share.hpp): of a layer that shares its work, each
// tensor's rows that ProcessShare::rows gives the process; of any other layer, its whole block on
// process 0. Both drivers gather the gradients by these ranges before the update.
#pragma once

#include <cstddef>
#include <vector>

#include "../codegen/process_share.hpp"
#include "../codegen/simd.hpp"
#include "protocol.hpp"

namespace ctnn::layers {

// tensors_of(i), traits_of(i) and offset_of(i): layer i's tensors, traits and first parameter's
// offset; parameter_floats: the size of the whole layout.
template <class TensorsOf, class TraitsOf, class OffsetOf>
std::vector<std::vector<IndexRange>> parameter_shares(ProcessShare share, std::size_t layer_count,
                                                      std::size_t parameter_floats, TensorsOf&& tensors_of,
                                                      TraitsOf&& traits_of, OffsetOf&& offset_of) {
  std::vector<std::vector<IndexRange>> owned(share.ranks);
  const auto add = [](std::vector<IndexRange>& ranges, IndexRange range) {
    if (range.size() == 0) return;
    if (!ranges.empty() && ranges.back().end == range.begin) ranges.back().end = range.end;
    else ranges.push_back(range);
  };
  for (std::size_t i = 0; i < layer_count; ++i) {
    const std::size_t begin = offset_of(i), end = i + 1 < layer_count ? offset_of(i + 1) : parameter_floats;
    if (!traits_of(i).shares_work) {
      add(owned[0], {begin, end});
      continue;
    }
    std::size_t at = begin;
    for (const Tensor& tensor : tensors_of(i)) {
      const std::size_t row_floats = simd::padded(tensor.columns);
      for (std::size_t r = 0; r < share.ranks; ++r) {
        const IndexRange rows = share.rows_of(r, tensor.rows);
        add(owned[r], {at + rows.begin * row_floats, at + rows.end * row_floats});
      }
      at += tensor.rows * row_floats;
    }
  }
  return owned;
}

}  // namespace ctnn::layers
