#include "idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <memory>

namespace ctnn::io {

namespace {

class GzFile {
 public:
  explicit GzFile(const std::filesystem::path& path) : path_(path.string()), file_(gzopen(path_.c_str(), "rb")) {
    if (!file_) throw Error(path_ + ": cannot open: " + std::strerror(errno));
    gzbuffer(file_.get(), 1 << 20);
  }
  // Reads up to `bytes`; returns how many were read. Corrupt gzip data is an error.
  std::size_t read(void* into, std::size_t bytes) {
    std::size_t done = 0;
    auto* out = static_cast<unsigned char*>(into);
    while (done < bytes) {
      const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(bytes - done, 1u << 30));
      const int got = gzread(file_.get(), out + done, chunk);
      if (got < 0) {
        int code = 0;
        throw Error(path_ + ": cannot decompress: " + gzerror(file_.get(), &code));
      }
      if (got == 0) break;
      done += std::size_t(got);
    }
    return done;
  }
  const std::string& path() const { return path_; }

 private:
  struct Close {
    void operator()(gzFile f) const { gzclose(f); }
  };
  std::string path_;
  std::unique_ptr<gzFile_s, Close> file_;
};

std::string hex(std::uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

// Reads the header of an IDX file of unsigned bytes with `dimensions` dimensions and returns them.
template <std::size_t Dimensions>
std::array<std::uint32_t, Dimensions> read_header(GzFile& file, const char* what) {
  const std::uint32_t expected_magic = 0x0800u | Dimensions;
  unsigned char bytes[4 * (1 + Dimensions)];
  const std::size_t got = file.read(bytes, sizeof bytes);
  if (got < 4) throw Error(file.path() + ": truncated: the file is too short to hold an IDX header");
  const auto word = [&](std::size_t i) {
    return std::uint32_t(bytes[4 * i]) << 24 | std::uint32_t(bytes[4 * i + 1]) << 16 |
           std::uint32_t(bytes[4 * i + 2]) << 8 | std::uint32_t(bytes[4 * i + 3]);
  };
  if (word(0) != expected_magic)
    throw Error(file.path() + ": wrong magic number " + hex(word(0)) + ", expected " + hex(expected_magic) +
                " (IDX " + what + ": unsigned bytes, " + std::to_string(Dimensions) + " dimensions)");
  if (got < sizeof bytes) throw Error(file.path() + ": truncated: the IDX header ends early");
  std::array<std::uint32_t, Dimensions> dims{};
  for (std::size_t d = 0; d < Dimensions; ++d) {
    dims[d] = word(d + 1);
    if (dims[d] == 0) throw Error(file.path() + ": the header gives a dimension of size 0");
  }
  return dims;
}

// Reads the `bytes` bytes the header announced, keeps those of `keep`, and checks that nothing
// follows: a shard is read from a file checked whole. Memory grows with the data actually kept, never
// ahead of it: a header alone cannot make ctnn allocate gigabytes.
std::vector<unsigned char> read_body(GzFile& file, std::size_t bytes, const std::string& announced, IndexRange keep) {
  constexpr std::size_t chunk = std::size_t{1} << 24;
  std::vector<unsigned char> kept, passed_over;
  for (std::size_t at = 0; at < bytes;) {
    const std::size_t want = std::min(chunk, bytes - at);
    const bool keep_all = keep.begin <= at && at + want <= keep.end;
    if (keep_all) kept.resize(kept.size() + want);
    else passed_over.resize(want);
    unsigned char* into = keep_all ? kept.data() + kept.size() - want : passed_over.data();
    const std::size_t got = file.read(into, want);
    if (got < want)
      throw Error(file.path() + ": truncated: the header announces " + announced + " (" + std::to_string(bytes) +
                  " bytes) but only " + std::to_string(at + got) + " bytes follow");
    if (!keep_all) {
      const std::size_t from = std::clamp(at, keep.begin, keep.end), to = std::clamp(at + want, keep.begin, keep.end);
      kept.insert(kept.end(), passed_over.begin() + std::ptrdiff_t(from - at), passed_over.begin() + std::ptrdiff_t(to - at));
    }
    at += want;
  }
  unsigned char extra;
  if (file.read(&extra, 1) != 0)
    throw Error(file.path() + ": has data after the " + announced + " its header announces");
  return kept;
}

// `directory/name`, or `directory/name.gz` when only that exists.
std::filesystem::path find_file(const std::filesystem::path& directory, const std::string& name) {
  const std::filesystem::path plain = directory / name;
  std::filesystem::path gz = plain;
  gz += ".gz";
  if (std::filesystem::exists(plain)) return plain;
  if (std::filesystem::exists(gz)) return gz;
  throw Error("missing data file: neither " + plain.string() + " nor " + gz.string() +
              " exists (Fashion-MNIST: apt-get install dataset-fashion-mnist)");
}

}  // namespace

Dataset read_idx(const std::filesystem::path& images_path, const std::filesystem::path& labels_path) {
  return read_idx(images_path, labels_path, ProcessShare{});
}

Dataset read_idx(const std::filesystem::path& images_path, const std::filesystem::path& labels_path,
                 const ProcessShare& share) {
  Dataset data;
  data.images_source = images_path.string();
  data.labels_source = labels_path.string();

  GzFile images(images_path);
  const auto [count, rows, cols] = read_header<3>(images, "images");
  // Every factor is below 2^32, so count * (rows * cols) is checked without overflow in two steps.
  const std::uint64_t features = std::uint64_t(rows) * cols;
  if (features > idx_pixel_limit || count > idx_pixel_limit / features)
    throw Error(images.path() + ": the header announces " + std::to_string(count) + " images of " + std::to_string(rows) +
                "x" + std::to_string(cols) + ", more than ctnn reads into memory (" + std::to_string(idx_pixel_limit) +
                " pixels)");
  const std::uint64_t pixels = std::uint64_t(count) * features;

  GzFile labels(labels_path);
  const auto [label_count] = read_header<1>(labels, "labels");
  if (label_count != count)
    throw Error(labels.path() + ": holds " + std::to_string(label_count) + " labels but " + images.path() + " holds " +
                std::to_string(count) + " images; the two files must describe the same samples");

  const std::string announced = std::to_string(count) + " images of " + std::to_string(rows) + "x" + std::to_string(cols);
  const IndexRange kept = share.rows(count);
  const std::vector<unsigned char> raw =
      read_body(images, pixels, announced, {kept.begin * std::size_t(features), kept.end * std::size_t(features)});
  data.labels = read_body(labels, count, std::to_string(count) + " labels", kept);

  data.count = kept.size();
  if (!share.whole()) data.first_row = kept.begin, data.whole_count = count;
  data.image_rows = rows;
  data.image_cols = cols;
  data.features = std::size_t(rows) * cols;
  data.images.resize(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) data.images[i] = float(raw[i]) / 255.0f;
  return data;
}

TrainTestData load_idx(const std::filesystem::path& directory, const ProcessShare& training_share) {
  const auto read_pair = [&](const std::string& prefix, const ProcessShare& share) {
    const std::filesystem::path images = find_file(directory, prefix + "-images-idx3-ubyte");
    const std::filesystem::path labels = find_file(directory, prefix + "-labels-idx1-ubyte");
    return read_idx(images, labels, share);
  };
  TrainTestData data;
  data.train = read_pair("train", training_share);
  data.test = read_pair("t10k", ProcessShare{});
  return data;
}

}  // namespace ctnn::io
