// Reader for IDX files, the format of MNIST and Fashion-MNIST, plain or gzipped.
//   images: magic 0x00000803, then count, rows, cols (big-endian uint32), then count*rows*cols bytes
//   labels: magic 0x00000801, then count, then count bytes
// Every problem is reported with the file's path and what is wrong with it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "../codegen/process_share.hpp"
#include "../dsl/dataset.hpp"
#include "../error.hpp"

namespace ctnn::io {

// The most pixels read_idx reads from one file: 2^32, 16 GiB as floats.
inline constexpr std::uint64_t idx_pixel_limit = std::uint64_t{1} << 32;

inline const std::filesystem::path default_data_directory = "/usr/share/datasets/fashion-mnist";

// Fashion-MNIST's classes, in label order.
inline const std::vector<std::string> fashion_mnist_classes{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                            "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

// Reads an images file and its labels file into a Dataset with pixels scaled to [0, 1].
Dataset read_idx(const std::filesystem::path& images_path, const std::filesystem::path& labels_path);

// This process's shard of the two files, their rows share.rows(count) (DatasetView::is_shard, for
// fit over several processes): it holds only those rows, and checks the files whole as read_idx does.
Dataset read_idx(const std::filesystem::path& images_path, const std::filesystem::path& labels_path,
                 const ProcessShare& share);

// Reads the four files of an MNIST-style directory (train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each possibly with .gz); of the training files,
// only the rows training_share.rows(count) (a shard, when it names one of several processes).
TrainTestData load_idx(const std::filesystem::path& directory = default_data_directory,
                       const ProcessShare& training_share = {});

}  // namespace ctnn::io
