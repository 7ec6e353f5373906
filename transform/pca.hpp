// Principal component analysis as a data transform, as scikit-learn's PCA: fitted on training samples,
// it keeps the directions of largest variance (up to a fraction of the variance, or a count) and maps
// any data set of the same width onto them. The eigen-decomposition is Eigen's, on the covariance in
// double precision; the components are signed as scikit-learn signs them (the largest entry positive).
//   const Pca pca = Pca::fit(train, {.variance = 0.95});    // 154 components on MNIST's 55,000 rows
//   fit<32>(model, pca.transform(train), ...);  evaluate(model, pca.transform(test));
//   save_pca(pca, "model.pca.npz");  // beside the model file; load_pca reads it back
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "../dsl/dataset.hpp"

namespace ctnn {

// How many components to keep: the fewest whose explained variance is more than `variance` of the
// total (0 < variance < 1, scikit-learn's n_components=0.95), or exactly `components`. Give one.
struct PcaOptions {
  double variance = 0.0;
  std::size_t components = 0;
  bool whiten = false;  // divide each component by its standard deviation
};

class Pca {
 public:
  // Fits on every sample of `data`; an error names the data and what is wrong (too few samples, no
  // variance, a non-finite value, options that do not choose a count).
  static Pca fit(const DatasetView& data, const PcaOptions& options);

  // A fitted transform from its arrays (as load_pca reads them); `where` names them in errors.
  // mean: features; components: count x features, row-major; variances: count each.
  Pca(std::vector<float> mean, std::vector<float> components, std::vector<float> explained_variance,
      std::vector<float> explained_variance_ratio, bool whiten, const std::string& where);

  // The samples of `data` as their components (labels kept): count x component_count().
  Dataset transform(const DatasetView& data) const;
  // One sample of input_features() values to component_count() values.
  void transform(const float* sample, float* components) const;

  std::size_t input_features() const { return mean_.size(); }
  std::size_t component_count() const { return explained_variance_.size(); }
  bool whiten() const { return whiten_; }
  std::span<const float> mean() const { return mean_; }
  std::span<const float> components() const { return components_; }  // component_count() x input_features()
  std::span<const float> explained_variance() const { return explained_variance_; }
  std::span<const float> explained_variance_ratio() const { return explained_variance_ratio_; }

 private:
  std::vector<float> mean_, components_, explained_variance_, explained_variance_ratio_;
  bool whiten_ = false;
};

// Writes a fitted PCA to an .npz archive, atomically, under scikit-learn's attribute names (mean_,
// components_, explained_variance_, explained_variance_ratio_, whiten), so numpy reads it as well.
void save_pca(const Pca& pca, const std::filesystem::path& path);

// Reads what save_pca wrote; a missing array or mismatched shapes is an error naming the file.
Pca load_pca(const std::filesystem::path& path);

}  // namespace ctnn
