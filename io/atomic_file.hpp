// Writing a file atomically: the bytes go to a temporary file beside the target, are flushed to
// disk, and the temporary replaces the target by rename(). A process killed at any moment leaves
// either the old file or the new one, never a mixture. Errors name the file.
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "../error.hpp"

namespace ctnn::io {

// write(FILE*) writes the content; it returns false, or throws, on failure.
template <class Write>
void write_atomically(const std::filesystem::path& path, Write&& write) {
  const std::filesystem::path temporary = path.string() + ".tmp-" + std::to_string(::getpid());
  std::FILE* file = std::fopen(temporary.c_str(), "wb");
  if (!file) throw Error(path.string() + ": cannot create " + temporary.string() + ": " + std::strerror(errno));
  bool written = false;
  try {
    written = write(file) && std::fflush(file) == 0 && ::fsync(::fileno(file)) == 0;
  } catch (...) {
    std::fclose(file);
    std::filesystem::remove(temporary);
    throw;
  }
  const int saved_errno = errno;
  if (std::fclose(file) != 0 || !written) {
    std::filesystem::remove(temporary);
    throw Error(path.string() + ": cannot write: " + std::strerror(written ? errno : saved_errno));
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::filesystem::remove(temporary);
    throw Error(path.string() + ": cannot replace it with " + temporary.string() + ": " + reason);
  }
}

}  // namespace ctnn::io
