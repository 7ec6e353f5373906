// A training run's whole state between two batches, as BackupAndRestore writes it: enough for fit()
// to go on after a crash or a kill as if it had never stopped, bit for bit.
//
// Format version 1; every integer and float little-endian:
//   bytes   field
//   8       magic "CTNNBKUP"
//   4       format version, uint32: 1
//   4 + n   the run's identity (uint32 length, text): the settings a resumed run must share
//   8 8 8   the epoch in progress (from 1), its batches done, the updates done (Adam's step count and
//           the dropout masks' stream position), uint64 each
//   1       finished: 1 when training ended (all epochs, or early stopping), else 0
//   4       the learning rate in use (float32)
//   8 8 8   the epoch in progress so far: sum of sample losses (float64), correct and seen samples
//   6 x     the history's series in the order loss, accuracy, val_loss, val_accuracy, seconds,
//           learning_rate: uint64 count, then the values as float64
//   4 + c   the callbacks' state (uint32 count, then per callback: best float64, wait and cooldown
//           left uint64), in the order of FitOptions::callbacks
//   8 + m   the weights: a whole model file (io/model_file.hpp), uint64 length first
//   1 [8+m] 1 when EarlyStopping's best weights follow (a model file as above), else 0
//   8 + 4s  the optimiser state: uint64 count s, then s float32
//   4       CRC-32 (zlib's) of every byte before it
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "../io/model_file.hpp"
#include "history.hpp"

namespace ctnn {

inline constexpr std::string_view training_state_magic = "CTNNBKUP";
inline constexpr std::uint32_t training_state_version = 1;

// The running decisions of one callback: what EarlyStopping, ReduceLROnPlateau and ModelCheckpoint
// remember between epochs (the others remember nothing).
struct CallbackRecord {
  double best = 0.0;
  std::uint64_t wait = 0, cooldown_left = 0;
};

struct TrainingState {
  std::string run;  // "key: value" lines; see detail::run_identity
  std::uint64_t epoch = 1, batches_done = 0, iteration = 0;
  bool finished = false;
  float learning_rate = 0.0f;
  double loss_sum = 0.0;
  std::uint64_t correct = 0, seen = 0;
  History history;
  std::vector<CallbackRecord> callbacks;
  io::ModelFile weights;
  std::optional<io::ModelFile> best_weights;
  std::vector<float> optimizer_state;
};

// The bytes of a training-state file (format above).
std::string training_state_bytes(const TrainingState& state);

// Reads and checks a training-state file; every problem is an Error naming the file.
TrainingState read_training_state(const std::filesystem::path& path);

}  // namespace ctnn
