// Weights as NumPy .npz archives, named as Keras names them, so that models move between ctnn and
// Python: layer l is "dense" (l = 0) or "dense_l", its arrays "dense_1/kernel" (inputs x outputs)
// and "dense_1/bias" (outputs); the b-th batch normalisation is "batch_normalization" (b = 0) or
// "batch_normalization_b", with arrays gamma, beta, moving_mean and moving_variance (outputs each).
// A PyTorch nn.Linear's weight is the transposed kernel.
//   io::save_npz(model, "weights.npz");      numpy.load("weights.npz")["dense/kernel"]
//   io::load_npz(model, "weights.npz");      from numpy.savez("weights.npz", **{"dense/kernel": ...})
#pragma once

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "../error.hpp"
#include "atomic_file.hpp"
#include "file_bytes.hpp"
#include "model_file.hpp"
#include "npy.hpp"
#include "zip.hpp"

namespace ctnn::io {

// Keras's name of layer l's weights: "dense", "dense_1", ...
inline std::string keras_layer_name(std::size_t l) { return l == 0 ? "dense" : "dense_" + std::to_string(l); }
inline std::string keras_batch_norm_name(std::size_t b) {
  return b == 0 ? "batch_normalization" : "batch_normalization_" + std::to_string(b);
}
inline constexpr const char* batch_norm_array_names[4] = {"gamma", "beta", "moving_mean", "moving_variance"};

// Every array of an .npz archive, by name (".npy" dropped); float32 or float64 values.
inline std::map<std::string, NpyArray> read_npz(const std::filesystem::path& path) {
  std::map<std::string, NpyArray> arrays;
  for (ZipEntry& entry : read_zip(read_file_bytes(path, ".npz archive"), path.string())) {
    std::string name = entry.name;
    if (name.ends_with(".npy")) name.resize(name.size() - 4);
    arrays.emplace(name, parse_npy(entry.data, path.string() + ": " + entry.name));
  }
  return arrays;
}

// Writes the model's kernels, biases and batch-norm parameters to an .npz archive (stored,
// float32), atomically.
template <LayeredModel M>
void save_npz(const M& model, const std::filesystem::path& path) {
  std::vector<ZipEntry> entries;
  for (std::size_t l = 0, b = 0; l < model.depth(); ++l) {
    const MatrixView<const float> kernel = model.kernel(l);
    std::vector<float> packed;
    packed.reserve(kernel.size());
    for (std::size_t i = 0; i < kernel.rows; ++i) packed.insert(packed.end(), &kernel(i, 0), &kernel(i, 0) + kernel.cols);
    const std::size_t kernel_shape[2] = {kernel.rows, kernel.cols}, bias_shape[1] = {kernel.cols};
    entries.push_back({keras_layer_name(l) + "/kernel.npy", npy_bytes(packed, kernel_shape)});
    entries.push_back({keras_layer_name(l) + "/bias.npy", npy_bytes(model.bias(l), bias_shape)});
    if (const BatchNormParameters<const float> norm = model.batch_norm(l); norm) {
      for (std::size_t r = 0; r < norm.rows; ++r)
        entries.push_back({keras_batch_norm_name(b) + "/" + batch_norm_array_names[r] + ".npy", npy_bytes(norm.row(r), bias_shape)});
      ++b;
    }
  }
  const std::string archive = zip_bytes(entries);
  write_atomically(path, [&](std::FILE* file) { return std::fwrite(archive.data(), 1, archive.size(), file) == archive.size(); });
}

// Replaces the model's parameters with the arrays of an .npz archive. Every kernel and bias must
// be there with the layer's shape, and nothing else: a mismatch is an error naming the array,
// its shape and the shape the model needs.
template <LayeredModel M>
void load_npz(M& model, const std::filesystem::path& path) {
  std::map<std::string, NpyArray> arrays = read_npz(path);
  const auto shape_text = [](const std::vector<std::size_t>& shape) {
    std::string text = "(";
    for (std::size_t d = 0; d < shape.size(); ++d) text.append(d ? ", " : "").append(std::to_string(shape[d]));
    return text + (shape.size() == 1 ? ",)" : ")");
  };
  const auto take = [&](const std::string& name, std::vector<std::size_t> shape) {
    const auto found = arrays.find(name);
    if (found == arrays.end())
      throw Error(path.string() + ": has no array \"" + name + "\" (the model " + model.architecture() + " needs " +
                  shape_text(shape) + ")");
    if (found->second.shape != shape)
      throw Error(path.string() + ": \"" + name + "\" has shape " + shape_text(found->second.shape) + " but layer " +
                  name.substr(0, name.find('/')) + " of " + model.architecture() + " needs " + shape_text(shape) +
                  (found->second.shape.size() == 2 && found->second.shape[0] == shape[1] && found->second.shape[1] == shape[0]
                       ? " (a PyTorch nn.Linear weight is the transposed kernel: save weight.T)"
                       : ""));
    std::vector<float> values = std::move(found->second.values);
    arrays.erase(found);
    return values;
  };
  // Read and check everything before changing the model: a bad archive leaves it as it was.
  std::vector<std::vector<float>> kernels, biases, batch_norms;  // batch_norms: 4 arrays per normalised layer
  for (std::size_t l = 0, b = 0; l < model.depth(); ++l) {
    const MatrixView<const float> kernel = std::as_const(model).kernel(l);
    kernels.push_back(take(keras_layer_name(l) + "/kernel", {kernel.rows, kernel.cols}));
    biases.push_back(take(keras_layer_name(l) + "/bias", {kernel.cols}));
    if (std::as_const(model).batch_norm(l)) {
      for (const char* array : batch_norm_array_names)
        batch_norms.push_back(take(keras_batch_norm_name(b) + "/" + array, {kernel.cols}));
      ++b;
    }
  }
  if (!arrays.empty())
    throw Error(path.string() + ": holds an array the model " + model.architecture() + " does not have: \"" +
                arrays.begin()->first + "\" (expected dense/kernel, dense/bias, dense_1/kernel, ...)");
  auto next_batch_norm = batch_norms.begin();
  for (std::size_t l = 0; l < model.depth(); ++l) {
    const MatrixView<float> kernel = model.kernel(l);
    for (std::size_t i = 0; i < kernel.rows; ++i) std::copy_n(&kernels[l][i * kernel.cols], kernel.cols, &kernel(i, 0));
    std::ranges::copy(biases[l], model.bias(l).begin());
    if (const BatchNormParameters<float> norm = model.batch_norm(l))
      for (std::size_t r = 0; r < norm.rows; ++r) std::ranges::copy(*next_batch_norm++, norm.row(r).begin());
  }
}

}  // namespace ctnn::io
