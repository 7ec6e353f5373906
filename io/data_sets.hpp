// The two data sets a name stands for: "fashion-mnist" (Debian's dataset-fashion-mnist, the
// default) and "mnist" (the digits, which scripts/get-mnist.sh fetches into a cache directory).
// Any other name is a directory of MNIST-format IDX files, or an .npz archive as Keras's
// mnist.npz (x_train, y_train, x_test, y_test; uint8 pixels and labels).
#pragma once

#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "../dsl/dataset.hpp"
#include "idx.hpp"

namespace ctnn::io {

// Where scripts/get-mnist.sh puts the digits: $CTNN_DATA_CACHE/mnist, else
// $XDG_CACHE_HOME/ctnn/mnist, else ~/.cache/ctnn/mnist (the script's rule, the same order).
std::filesystem::path mnist_cache_directory();

// The directory a --data value names.
std::filesystem::path data_directory(std::string_view name);

// The class names of the data set in `directory`: Fashion-MNIST's, or none (labels print as numbers).
std::span<const std::string> class_names_of(const std::filesystem::path& directory);

// A data set stored as Keras's mnist.npz stores it; pixels scaled to [0, 1] as read_idx scales them.
TrainTestData load_npz_data_set(const std::filesystem::path& path);

// A data set from two NumPy arrays, as scikit-learn and PyTorch users keep them: images (count, features)
// or (count, height, width), and labels (count,) of whole numbers 0 to 255 (uint8, int32, int64 or
// float). uint8 images are pixels, scaled to [0, 1] as read_idx scales them; float images are taken as
// they are (features computed elsewhere, such as PCA components).
Dataset load_npy_data_set(const std::filesystem::path& images, const std::filesystem::path& labels);

// Writes a data set as those two arrays, atomically: images float32 (count, features), labels uint8
// (count,), so that numpy.load gives what scikit-learn's estimators take.
void save_npy_data_set(const DatasetView& data, const std::filesystem::path& images,
                       const std::filesystem::path& labels);

// The training and test sets a --data value names (see data_directory): an .npz archive, or the IDX
// files of a directory; of the training set, only the rows training_share.rows(count) (a process's
// shard, when it names one of several processes; an archive is read whole and then cut).
TrainTestData load_data_set(const std::filesystem::path& source, const ProcessShare& training_share = {});

}  // namespace ctnn::io
