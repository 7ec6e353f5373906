#include "atomic_file.hpp"

#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <string>
#include <system_error>
#include <unistd.h>

namespace ctnn::io {

namespace detail {

void remove_stale_temporaries(const std::filesystem::path& path) {
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

void write_atomically(const std::filesystem::path& path, bool (*write)(std::FILE*, void*), void* context) {
  remove_stale_temporaries(path);
  const std::filesystem::path temporary = path.string() + ".tmp-" + std::to_string(::getpid());
  std::FILE* file = std::fopen(temporary.c_str(), "wb");
  if (!file) throw Error(path.string() + ": cannot create " + temporary.string() + ": " + std::strerror(errno));
  bool written = false;
  try {
    written = write(file, context) && std::fflush(file) == 0 && ::fsync(::fileno(file)) == 0;
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

}  // namespace detail

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  write_atomically(path, [&](std::FILE* file) { return std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size(); });
}

}  // namespace ctnn::io
