// BackupAndRestore's training-state files.
#include <ctnn/train/training_state.hpp>

#include "fuzz_target.hpp"

void fuzz_one(std::string_view bytes) { ctnn::read_training_state(fuzz::file_with(bytes, "training_state.ctnnbak")); }
