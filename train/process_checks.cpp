#include "process_checks.hpp"

#include <bit>
#include <cstdint>
#include <span>
#include <string>

#include "../dsl/losses.hpp"
#include "../dsl/optimizers.hpp"
#include "../error.hpp"

namespace ctnn::detail {

namespace {

// A word that changes with every bit of `words` (the multiply-xor of a fast string hash).
std::uint64_t mix(std::uint64_t hash, std::span<const std::uint32_t> words) {
  for (const std::uint32_t word : words) hash = (hash ^ word) * 0x100000001b3ULL;
  return hash;
}
template <class T>
std::span<const std::uint32_t> as_words(const T* data, std::size_t bytes) {
  return {reinterpret_cast<const std::uint32_t*>(data), bytes / sizeof(std::uint32_t)};
}

}  // namespace

void check_same_everywhere(Collective& collective, FitTarget& target, const DatasetView& data,
                           const DatasetView& validation, const FitOptions& options, std::uint64_t iteration) {
  const auto differs = [&](const char* what, std::uint64_t value) {
    if (!collective.same_everywhere(value))
      throw Error(std::string("fit: the processes of this distributed run have different ") + what +
                  "; every process must call fit with the same model, data and options");
  };
  const std::span<const float> parameters = target.parameters();
  differs("weights (seed them alike, or load the same model file)",
          mix(0xcbf29ce484222325ULL, as_words(parameters.data(), parameters.size_bytes())));
  const std::span<const float> optimizer_state = target.optimizer_state();
  const std::uint32_t updates[] = {std::uint32_t(iteration), std::uint32_t(iteration >> 32)};
  differs("training states (a backup one process found and another did not, or earlier fits that differ)",
          mix(mix(0xcbf29ce484222325ULL, updates), as_words(optimizer_state.data(), optimizer_state.size_bytes())));
  const auto data_hash = [](const DatasetView& set) {
    // Each process holds its own shard: only the whole set's shape must agree.
    if (set.is_shard()) {
      const std::uint32_t shape[] = {std::uint32_t(set.whole_count), std::uint32_t(set.whole_count >> 32),
                                     std::uint32_t(set.features)};
      return mix(0x84222325cbf29ce4ULL, shape);
    }
    std::uint64_t hash = mix(0xcbf29ce484222325ULL, as_words(set.images, set.count * set.features * sizeof(float)));
    const std::uint32_t sizes[] = {std::uint32_t(set.count), std::uint32_t(set.features)};
    hash = mix(hash, sizes);
    for (std::size_t i = 0; i < set.count; ++i) hash = (hash ^ set.labels[i]) * 0x100000001b3ULL;
    return hash;
  };
  differs("training data", data_hash(data));
  differs("validation data", data_hash(validation));
  const std::uint32_t settings[] = {std::uint32_t(options.epochs), std::uint32_t(options.batch_size),
                                    std::uint32_t(options.seed), std::uint32_t(options.seed >> 32),
                                    std::uint32_t(options.shuffle), std::uint32_t(options.callbacks.size()),
                                    std::uint32_t(options.optimizer.index()), std::uint32_t(options.loss.index()),
                                    std::bit_cast<std::uint32_t>(learning_rate_of(options.optimizer))};
  differs("fit options (epochs, batch size, seed, shuffling, callbacks, optimizer or loss)", mix(0xcbf29ce484222325ULL, settings));
}

void check_shard(const DatasetView& data, const FitOptions& options) {
  const std::string what = "fit: the training data " + std::string(data.images_source) + " is a shard (rows " +
                           std::to_string(data.first_row) + " to " + std::to_string(data.first_row + data.count) + " of " +
                           std::to_string(data.whole_count) + ")";
  if (!options.collective)
    throw Error(what + " but fit runs in this process alone: give FitOptions::collective, or read the whole set");
  if (options.validation_split > 0.0)
    throw Error(what + ", of which a validation_split cannot take the last rows: give validation data instead");
  const IndexRange mine = options.collective->share().rows(data.whole_count);
  if (data.first_row != mine.begin || data.count != mine.size())
    throw Error(what + " but process " + std::to_string(options.collective->share().rank) + " of " +
                std::to_string(options.collective->share().ranks) + " holds rows " + std::to_string(mine.begin) + " to " +
                std::to_string(mine.end) + "; read the shard with this process's share (io::read_idx)");
}

}  // namespace ctnn::detail
