// Writing a file atomically: the bytes go to a temporary file beside the target, are flushed to
// disk, and the temporary replaces the target by rename(). A process killed at any moment leaves
// either the old file or the new one, never a mixture. Errors name the file.
#pragma once

#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <unistd.h>

#include "../error.hpp"

namespace ctnn::io {

namespace detail {

// Removes the temporaries that killed writers left beside `path` ("name.tmp-PID" of a process that no
// longer runs). Best effort: a file that cannot be examined or removed is left where it is.
inline void remove_stale_temporaries(const std::filesystem::path& path) {
  const std::string prefix = path.filename().string() + ".tmp-";
  std::error_code error;
  std::filesystem::path directory = path.parent_path();
  if (directory.empty()) directory = ".";
  for (std::filesystem::directory_iterator entry(directory, error), end; !error && entry != end; entry.increment(error)) {
    const std::string name = entry->path().filename().string();
    if (!name.starts_with(prefix)) continue;
    const std::string_view digits = std::string_view(name).substr(prefix.size());
    int pid = 0;
    const auto [last, parsed] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
    if (parsed != std::errc{} || last != digits.data() + digits.size() || pid <= 0 || pid == ::getpid()) continue;
    if (::kill(pid, 0) == -1 && errno == ESRCH) std::filesystem::remove(entry->path(), error);
    error.clear();
  }
}

}  // namespace detail

// write(FILE*) writes the content; it returns false, or throws, on failure. Temporaries left by
// writers of the same file that were killed are removed first.
template <class Write>
void write_atomically(const std::filesystem::path& path, Write&& write) {
  detail::remove_stale_temporaries(path);
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
