// Reading a whole file into memory, with errors that name the file and say what it was meant to be.
#pragma once

#include <filesystem>
#include <string>

#include "../error.hpp"

namespace ctnn::io {

// `what` says what the file should be ("model file", ".npz archive") in the messages.
std::string read_file_bytes(const std::filesystem::path& path, const std::string& what);

}  // namespace ctnn::io
