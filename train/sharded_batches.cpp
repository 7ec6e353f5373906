#include "sharded_batches.hpp"

#include <algorithm>
#include <string>

#include "../error.hpp"

namespace ctnn::detail {

ShardedBatches::ShardedBatches(const DatasetView& shard, Collective& collective, std::size_t batch_size)
    : shard_(shard),
      collective_(collective),
      images_(batch_size * shard.features),
      labels_(batch_size),
      label_bytes_(batch_size),
      positions_(batch_size),
      owners_(batch_size) {
  const ProcessShare share = collective.share();
  for (std::size_t r = 0; r < share.ranks; ++r) shard_starts_.push_back(share.rows_of(r, shard.whole_count).begin);
  shard_starts_.push_back(shard.whole_count);
  label_counts_.resize(share.ranks);
  image_counts_.resize(share.ranks);
  next_position_.resize(share.ranks);
}

ShardedBatches::Batch ShardedBatches::gather(std::span<const std::uint32_t> rows) {
  if (rows.size() > positions_.size())
    throw Error("fit: a batch of " + std::to_string(rows.size()) + " rows, more than the " +
                std::to_string(positions_.size()) + " planned for");
  const std::size_t rank = collective_.share().rank, features = shard_.features;
  std::ranges::fill(label_counts_, 0);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    owners_[i] = std::size_t(std::ranges::upper_bound(shard_starts_, std::size_t(rows[i])) - shard_starts_.begin()) - 1;
    ++label_counts_[owners_[i]];
  }
  // Each process's rows lie together, in rank order, each in the batch's order.
  for (std::size_t r = 0, start = 0; r < next_position_.size(); start += label_counts_[r], ++r) next_position_[r] = start;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::size_t at = next_position_[owners_[i]]++;
    positions_[i] = std::uint32_t(at);
    if (owners_[i] != rank) continue;
    const std::size_t local = rows[i] - shard_.first_row;
    std::copy_n(shard_.sample(local), features, images_.data() + at * features);
    labels_[at] = float(shard_.labels[local]);
  }
  for (std::size_t r = 0; r < label_counts_.size(); ++r) image_counts_[r] = label_counts_[r] * features;
  collective_.gather_blocks(images_.data(), image_counts_);
  collective_.gather_blocks(labels_.data(), label_counts_);
  for (std::size_t i = 0; i < rows.size(); ++i) label_bytes_[i] = std::uint8_t(labels_[i]);
  DatasetView batch{images_.data(), label_bytes_.data(), rows.size(), features, shard_.images_source, shard_.labels_source};
  return {batch, std::span<const std::uint32_t>(positions_).first(rows.size())};
}

}  // namespace ctnn::detail
