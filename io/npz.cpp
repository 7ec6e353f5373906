#include "npz.hpp"

#include <utility>

#include "atomic_file.hpp"
#include "file_bytes.hpp"
#include "zip.hpp"

namespace ctnn::io {

std::map<std::string, NpyArray> read_npz(const std::filesystem::path& path) {
  std::map<std::string, NpyArray> arrays;
  for (ZipEntry& entry : read_zip(read_file_bytes(path, ".npz archive"), path.string())) {
    std::string name = entry.name;
    if (name.ends_with(".npy")) name.resize(name.size() - 4);
    arrays.emplace(name, parse_npy(entry.data, path.string() + ": " + entry.name));
  }
  return arrays;
}

void save_npz(const std::filesystem::path& path, const std::vector<NamedArray>& arrays) {
  std::vector<ZipEntry> entries;
  for (const NamedArray& array : arrays) entries.push_back({array.name + ".npy", npy_bytes(array.values, array.shape)});
  const std::string archive = zip_bytes(entries);
  write_file_atomically(path, archive);
}

}  // namespace ctnn::io
