// Writing a file atomically: the bytes go to a temporary file beside the target, are flushed to
// disk, and the temporary replaces the target by rename(). A process killed at any moment leaves
// either the old file or the new one, never a mixture. Errors name the file.
#pragma once

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string_view>
#include <type_traits>

#include "../error.hpp"

namespace ctnn::io {

namespace detail {

// Removes the temporaries that killed writers left beside `path` ("name.tmp-PID" of a process that no
// longer runs). Best effort: a file that cannot be examined or removed is left where it is.
void remove_stale_temporaries(const std::filesystem::path& path);

// Creates path.tmp-PID, hands it to write(file, context), flushes it to disk and renames it over
// `path`; see write_atomically.
void write_atomically(const std::filesystem::path& path, bool (*write)(std::FILE*, void*), void* context);

}  // namespace detail

// write(FILE*) writes the content; it returns false, or throws, on failure. Temporaries left by
// writers of the same file that were killed are removed first.
template <class Write>
void write_atomically(const std::filesystem::path& path, Write&& write) {
  detail::write_atomically(
      path, [](std::FILE* file, void* context) -> bool { return (*static_cast<std::remove_reference_t<Write>*>(context))(file); },
      const_cast<void*>(static_cast<const void*>(std::addressof(write))));
}

// The common case: `bytes` become the file's content.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace ctnn::io
