// The driver every fuzz target shares. A target defines
//   void fuzz_one(std::string_view bytes);
// which hands the bytes to one loader. A loader may refuse them only with ctnn::Error (the
// embedding example's PGM reader, free of ctnn, with its PgmError, which its target catches); any
// other exception, an allocation that fails
// because a header claimed too much, or a sanitizer report is a crash the fuzzer records.
//
// Built with afl-clang-fast++ (scripts/run-fuzz.sh), main() is AFL++'s persistent loop over shared
// memory; built with a plain compiler (the test suite), it replays files and folders given as
// arguments: the seed corpus and every input the fuzzers have found, each a regression test.
#pragma once

#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include <ctnn/error.hpp>

void fuzz_one(std::string_view bytes);

namespace fuzz {

// Where file_with puts its files: $CTNN_FUZZ_SCRATCH when set (scripts/run-fuzz.sh sets it and
// removes it afterwards: afl-fuzz ends its targets with SIGKILL, so they cannot clean up), else a
// folder per process, in memory where there is /dev/shm.
inline std::filesystem::path scratch_folder() {
  if (const char* given = std::getenv("CTNN_FUZZ_SCRATCH"); given && *given) return given;
  const std::filesystem::path shm = "/dev/shm";
  return (std::filesystem::is_directory(shm) ? shm : std::filesystem::temp_directory_path()) /
         ("ctnn-fuzz-" + std::to_string(::getpid()));
}

// A file holding `bytes`, for loaders that read paths: one per process and name, rewritten each run.
inline std::filesystem::path file_with(std::string_view bytes, const std::string& name) {
  static const std::filesystem::path folder = [] {
    std::filesystem::create_directories(scratch_folder());
    return scratch_folder();
  }();
  const std::filesystem::path path = folder / name;
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
  return path;
}

// `bytes` with their last 4 bytes replaced by the CRC-32 of the others, little-endian: for formats
// that check a trailing checksum first, so that mutations reach the parser behind it.
inline std::string with_checksum(std::string_view bytes) {
  std::string fixed(bytes);
  if (fixed.size() < 4) return fixed;
  const std::size_t body = fixed.size() - 4;
  const auto crc = std::uint32_t(::crc32(0L, reinterpret_cast<const Bytef*>(fixed.data()), uInt(body)));
  for (std::size_t i = 0; i < 4; ++i) fixed[body + i] = char((crc >> (8 * i)) & 0xff);
  return fixed;
}

inline void remove_files() {
  std::error_code ignored;
  std::filesystem::remove_all(scratch_folder(), ignored);
}

// Runs one input; returns normally when the loader accepted it or refused it with a clear error.
inline void run_one(std::string_view bytes, const char* name) {
  try {
    fuzz_one(bytes);
  } catch (const ctnn::Error&) {
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "%s: std::bad_alloc: a loader allocated what a header claimed\n", name);
    std::abort();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%s: an exception that is not a ctnn::Error: %s\n", name, error.what());
    std::abort();
  }
}

// No loader needs more than this for the inputs fuzzers make; beyond it an allocation fails (and
// the run crashes) instead of swapping. Not under AddressSanitizer, which reserves far more.
#if defined(__SANITIZE_ADDRESS__)
#define CTNN_FUZZ_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CTNN_FUZZ_ADDRESS_SANITIZER 1
#endif
#endif
inline void limit_memory() {
#ifndef CTNN_FUZZ_ADDRESS_SANITIZER  // its allocator refuses the same requests: max_allocation_size_mb
  const rlimit limit{std::size_t{4} << 30, std::size_t{4} << 30};
  ::setrlimit(RLIMIT_AS, &limit);
#endif
}

}  // namespace fuzz

#ifdef __AFL_FUZZ_TESTCASE_LEN
__AFL_FUZZ_INIT();
int main() {
  fuzz::limit_memory();
  __AFL_INIT();
  const unsigned char* buffer = __AFL_FUZZ_TESTCASE_BUF;
  while (__AFL_LOOP(100000)) fuzz::run_one({reinterpret_cast<const char*>(buffer), std::size_t(__AFL_FUZZ_TESTCASE_LEN)}, "input");
  fuzz::remove_files();
  return 0;
}
#else
// Replays every file named, and every file in every folder named (a folder's README.md aside); a
// path that does not exist is skipped, but at least one input must be replayed.
int main(int argc, char** argv) {
  fuzz::limit_memory();
  std::size_t replayed = 0;
  const auto replay = [&](const std::filesystem::path& path) {
    std::ifstream file(path, std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(file), {}};
    fuzz::run_one(bytes, path.c_str());
    ++replayed;
  };
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path given = argv[i];
    if (!std::filesystem::exists(given)) continue;  // a target with no regressions has no folder of them
    if (!std::filesystem::is_directory(given)) {
      replay(given);
      continue;
    }
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(given))
      if (entry.is_regular_file() && entry.path().filename() != "README.md") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) replay(file);
  }
  fuzz::remove_files();
  std::printf("%zu inputs replayed: each accepted or refused with a clear error\n", replayed);
  return replayed > 0 ? 0 : 1;
}
#endif
