#include "file_bytes.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace ctnn::io {

std::string read_file_bytes(const std::filesystem::path& path, const std::string& what) {
  struct Close {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Close> file(std::fopen(path.c_str(), "rb"));
  if (!file) throw Error(path.string() + ": cannot open " + what + ": " + std::strerror(errno));
  std::string bytes;
  std::array<char, 1 << 16> chunk;
  while (const std::size_t got = std::fread(chunk.data(), 1, chunk.size(), file.get())) bytes.append(chunk.data(), got);
  if (std::ferror(file.get())) throw Error(path.string() + ": cannot read " + what + ": " + std::strerror(errno));
  return bytes;
}

}  // namespace ctnn::io
