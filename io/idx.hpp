// Reader for IDX files, the format of MNIST and Fashion-MNIST, plain or gzipped.
//   images: magic 0x00000803, then count, rows, cols (big-endian uint32), then count*rows*cols bytes
//   labels: magic 0x00000801, then count, then count bytes
// Every problem is reported with the file's path and what is wrong with it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "../error.hpp"
#include "../dsl/dataset.hpp"

namespace ctnn::io {

// The most pixels read_idx reads from one file: 2^32, 16 GiB as floats.
inline constexpr std::uint64_t idx_pixel_limit = std::uint64_t{1} << 32;

inline const std::filesystem::path default_data_directory = "/usr/share/datasets/fashion-mnist";

// Fashion-MNIST's classes, in label order.
inline const std::vector<std::string> fashion_mnist_classes{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                            "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

// Reads an images file and its labels file into a Dataset with pixels scaled to [0, 1].
Dataset read_idx(const std::filesystem::path& images_path, const std::filesystem::path& labels_path);

// Reads the four files of an MNIST-style directory (train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, each possibly with .gz).
TrainTestData load_idx(const std::filesystem::path& directory = default_data_directory);

}  // namespace ctnn::io
