// The checks fit makes before training over several processes (FitOptions::collective): that every
// process would train alike, and that a shard of the training rows is its process's own.
#pragma once

#include <cstdint>

#include "../codegen/process_share.hpp"
#include "../dsl/dataset.hpp"
#include "fit.hpp"

namespace ctnn::detail {

// Processes that would train differently (another seed's weights, another data file, other options)
// give every process the same error instead of weights that silently drift apart.
void check_same_everywhere(Collective& collective, FitTarget& target, const DatasetView& data,
                           const DatasetView& validation, const FitOptions& options, std::uint64_t iteration);

// A shard (DatasetView::is_shard) must be this process's share of the rows, as every process
// computes the others' shards from it.
void check_shard(const DatasetView& data, const FitOptions& options);

}  // namespace ctnn::detail
