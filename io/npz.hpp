// Weights as NumPy .npz archives, named as Keras names them, so that models move between ctnn and
// Python: each layer is named after its class, numbered per class ("dense", "dense_1",
// "batch_normalization", ...; layers/tensor_names.hpp), its arrays after the layer's weights:
// "dense_1/kernel" (inputs x outputs), "dense_1/bias", "batch_normalization/gamma", beta,
// moving_mean, moving_variance. A PyTorch nn.Linear's weight is the transposed kernel.
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

// Every array of an .npz archive, by name (".npy" dropped); float32 or float64 values.
std::map<std::string, NpyArray> read_npz(const std::filesystem::path& path);

// One array of an .npz archive to write: its name (".npy" is added), values and shape.
struct NamedArray {
  std::string name;
  std::vector<float> values;
  std::vector<std::size_t> shape;
};

// Writes arrays to an .npz archive (stored, float32), atomically.
void save_npz(const std::filesystem::path& path, const std::vector<NamedArray>& arrays);

// Writes every weight of the model to an .npz archive (stored, float32), atomically.
template <TensorModel M>
void save_npz(const M& model, const std::filesystem::path& path) {
  std::vector<NamedArray> arrays;
  for (const auto& [name, at] : layers::named_tensors(model)) {
    const MatrixView<const float> values = model.tensor(at.layer, at.tensor);
    std::vector<float> packed;
    packed.reserve(values.size());
    for (std::size_t r = 0; r < values.rows; ++r) packed.insert(packed.end(), &values(r, 0), &values(r, 0) + values.cols);
    arrays.push_back({name, std::move(packed), keras_shape(model.tensors(at.layer)[at.tensor])});
  }
  save_npz(path, arrays);
}

// Replaces the model's parameters with the arrays of an .npz archive. Every weight must be there
// with its shape, and nothing else: a mismatch is an error naming the array, its shape and the
// shape the model needs. A bad archive leaves the model as it was.
template <TensorModel M>
void load_npz(M& model, const std::filesystem::path& path) {
  std::map<std::string, NpyArray> arrays = read_npz(path);
  const auto named = layers::named_tensors(model);
  std::vector<std::vector<float>> values;
  for (const auto& [name, at] : named) {
    const std::vector<std::size_t> shape = keras_shape(model.tensors(at.layer)[at.tensor]);
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
    values.push_back(std::move(found->second.values));
    arrays.erase(found);
  }
  if (!arrays.empty()) {
    std::string expected;
    for (std::size_t t = 0; t < named.size() && t < 3; ++t) expected.append(t ? ", " : "").append(named[t].first);
    throw Error(path.string() + ": holds an array the model " + model.architecture() + " does not have: \"" +
                arrays.begin()->first + "\" (expected " + (expected.empty() ? "none" : expected + (named.size() > 3 ? ", ..." : "")) + ")");
  }
  for (std::size_t t = 0; t < named.size(); ++t) {
    const MatrixView<float> target = model.tensor(named[t].second.layer, named[t].second.tensor);
    for (std::size_t r = 0; r < target.rows; ++r) std::copy_n(&values[t][r * target.cols], target.cols, &target(r, 0));
  }
}

}  // namespace ctnn::io
