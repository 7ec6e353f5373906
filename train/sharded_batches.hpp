// Training on shards (DatasetView::is_shard): each process holds its share of the training rows, and
// every step's batch, drawn from the whole set's shuffled order as one process draws it, is gathered
// from the processes holding its rows. The batches, and so the weights, are one process's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "../codegen/process_share.hpp"
#include "../dsl/dataset.hpp"

namespace ctnn::detail {

class ShardedBatches {
 public:
  // `shard` holds this process's rows of the whole set, collective.share().rows(shard.whole_count).
  ShardedBatches(const DatasetView& shard, Collective& collective, std::size_t batch_size);

  struct Batch {
    DatasetView data;                       // the batch's rows, gathered
    std::span<const std::uint32_t> rows;    // where each row `gather` was given lies in `data`, in its order
  };
  // The batch of the whole set's rows `rows`; every process calls it with the same rows.
  Batch gather(std::span<const std::uint32_t> rows);

 private:
  DatasetView shard_;
  Collective& collective_;
  std::vector<std::size_t> shard_starts_;  // each process's first row, then the whole set's count
  std::vector<float> images_, labels_;     // labels as floats, gathered with the same exchange
  std::vector<std::uint8_t> label_bytes_;
  std::vector<std::uint32_t> positions_;
  std::vector<std::size_t> owners_, label_counts_, image_counts_;
  std::vector<std::size_t> next_position_;  // per process, while a batch is sorted by owner
};

}  // namespace ctnn::detail
