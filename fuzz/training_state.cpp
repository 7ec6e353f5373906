// BackupAndRestore's training-state files: as given, and with their checksum made right, since the
// reader checks it before anything else.
#include <ctnn/train/training_state.hpp>

#include "fuzz_target.hpp"

void fuzz_one(std::string_view bytes) {
  try {
    ctnn::read_training_state(fuzz::file_with(bytes, "training_state.ctnnbak"));
  } catch (const ctnn::Error&) {
  }
  ctnn::read_training_state(fuzz::file_with(fuzz::with_checksum(bytes), "training_state.ctnnbak"));
}
