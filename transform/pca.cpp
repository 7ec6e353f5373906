#include "pca.hpp"

// GCC 12 reports false uninitialized uses in AVX-512 intrinsics (their "undefined" pass-through
// operands) where Eigen's AVX-512 transposes are inlined below -O3, as codegen/simd.hpp says of xsimd.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <Eigen/Dense>
#pragma GCC diagnostic pop
#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "../error.hpp"
#include "../io/npz.hpp"

namespace ctnn {

namespace {

std::string count_text(std::size_t count, const char* noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

// The number of components the options choose from the variances, largest first (scikit-learn's rule
// for a fraction: the first count whose cumulative ratio exceeds it).
std::size_t chosen_count(const PcaOptions& options, const Eigen::VectorXd& ratios, std::size_t most,
                         const std::string& where) {
  const bool by_variance = options.variance != 0.0, by_count = options.components != 0;
  if (by_variance == by_count)
    throw Error(where + ": give PcaOptions either .variance (a fraction of the variance) or .components (a count)");
  if (by_count) {
    if (options.components > most)
      throw Error(where + ": cannot keep " + count_text(options.components, "component") + "; at most " +
                  std::to_string(most) + " (the smaller of the samples and the features)");
    return options.components;
  }
  if (!(options.variance > 0.0 && options.variance < 1.0))
    throw Error(where + ": the variance to keep is " + std::to_string(options.variance) +
                "; it is a fraction between 0 and 1 (0.95 keeps 95%)");
  double cumulative = 0.0;
  for (Eigen::Index k = 0; k < ratios.size(); ++k) {
    cumulative += ratios[k];
    if (cumulative > options.variance) return std::min(std::size_t(k) + 1, most);
  }
  return most;
}

}  // namespace

Pca Pca::fit(const DatasetView& data, const PcaOptions& options) {
  const std::string where = "PCA of " + std::string(data.images_source);
  const std::size_t n = data.count, d = data.features;
  if (n < 2 || d == 0) throw Error(where + ": needs at least 2 samples of at least 1 feature; it has " + count_text(n, "sample"));
  Eigen::VectorXd mean = Eigen::VectorXd::Zero(Eigen::Index(d));
  for (std::size_t i = 0; i < n; ++i) {
    const float* sample = data.sample(i);
    for (std::size_t j = 0; j < d; ++j) {
      if (!std::isfinite(sample[j]))
        throw Error(where + ": sample " + std::to_string(i) + " has the value " + std::to_string(sample[j]) +
                    " at feature " + std::to_string(j));
      mean[Eigen::Index(j)] += double(sample[j]);
    }
  }
  mean /= double(n);

  // The covariance, one block of centred samples at a time: a copy of the whole centred data set
  // would take 8 bytes a value.
  constexpr std::size_t block_rows = 512;
  Eigen::MatrixXd covariance = Eigen::MatrixXd::Zero(Eigen::Index(d), Eigen::Index(d));
  Eigen::MatrixXd block(static_cast<Eigen::Index>(d), static_cast<Eigen::Index>(block_rows));
  for (std::size_t first = 0; first < n; first += block_rows) {
    const std::size_t rows = std::min(block_rows, n - first);
    for (std::size_t r = 0; r < rows; ++r) {
      const float* sample = data.sample(first + r);
      for (std::size_t j = 0; j < d; ++j) block(Eigen::Index(j), Eigen::Index(r)) = double(sample[j]) - mean[Eigen::Index(j)];
    }
    covariance.selfadjointView<Eigen::Lower>().rankUpdate(block.leftCols(Eigen::Index(rows)));
  }
  covariance = covariance.selfadjointView<Eigen::Lower>();
  covariance /= double(n - 1);

  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(covariance);
  if (solver.info() != Eigen::Success) throw Error(where + ": the eigen-decomposition of the covariance did not converge");
  // Eigen orders eigenvalues upwards; the components go largest first. Rounding can leave the
  // smallest slightly negative: they are zero variances.
  const Eigen::VectorXd variances = solver.eigenvalues().reverse().cwiseMax(0.0);
  const double total = variances.sum();
  if (!(total > 0.0)) throw Error(where + ": every feature is constant, so there is no variance to keep");
  const Eigen::VectorXd ratios = variances / total;
  const std::size_t kept = chosen_count(options, ratios, std::min(n, d), where);

  std::vector<float> components(kept * d), kept_variances, kept_ratios;
  for (std::size_t k = 0; k < kept; ++k) {
    const auto vector = solver.eigenvectors().col(Eigen::Index(d - 1 - k));
    Eigen::Index largest = 0;
    vector.cwiseAbs().maxCoeff(&largest);
    const double sign = vector[largest] < 0.0 ? -1.0 : 1.0;
    for (std::size_t j = 0; j < d; ++j) components[k * d + j] = float(sign * vector[Eigen::Index(j)]);
    kept_variances.push_back(float(variances[Eigen::Index(k)]));
    kept_ratios.push_back(float(ratios[Eigen::Index(k)]));
  }
  return Pca(std::vector<float>(mean.begin(), mean.end()), std::move(components), std::move(kept_variances),
             std::move(kept_ratios), options.whiten, where);
}

Pca::Pca(std::vector<float> mean, std::vector<float> components, std::vector<float> explained_variance,
         std::vector<float> explained_variance_ratio, bool whiten, const std::string& where)
    : mean_(std::move(mean)),
      components_(std::move(components)),
      explained_variance_(std::move(explained_variance)),
      explained_variance_ratio_(std::move(explained_variance_ratio)),
      whiten_(whiten) {
  const std::size_t d = mean_.size(), k = explained_variance_.size();
  if (d == 0 || k == 0) throw Error(where + ": a PCA needs at least one feature and one component");
  if (components_.size() != k * d)
    throw Error(where + ": components_ has " + std::to_string(components_.size()) + " values; " + std::to_string(k) +
                " components of " + std::to_string(d) + " features need " + std::to_string(k * d));
  if (explained_variance_ratio_.size() != k)
    throw Error(where + ": explained_variance_ratio_ has " + std::to_string(explained_variance_ratio_.size()) +
                " values and explained_variance_ " + std::to_string(k));
  for (float variance : explained_variance_)
    if (!(variance >= 0.0f && std::isfinite(variance)) || (whiten_ && variance == 0.0f))
      throw Error(where + ": holds the explained variance " + std::to_string(variance) +
                  (whiten_ ? "; whitening divides by it, so it must be positive" : "; variances are finite and not negative"));
}

void Pca::transform(const float* sample, float* out) const {
  const std::size_t d = mean_.size();
  for (std::size_t k = 0; k < component_count(); ++k) {
    const float* component = components_.data() + k * d;
    double sum = 0.0;
    for (std::size_t j = 0; j < d; ++j) sum += (double(sample[j]) - double(mean_[j])) * double(component[j]);
    if (whiten_) sum /= std::sqrt(double(explained_variance_[k]));
    out[k] = float(sum);
  }
}

Dataset Pca::transform(const DatasetView& data) const {
  if (data.features != input_features())
    throw Error(std::string(data.images_source) + " has " + std::to_string(data.features) + " features; the PCA was fitted on " +
                std::to_string(input_features()));
  Dataset out;
  out.count = data.count;
  out.features = component_count();
  out.images_source = std::string(data.images_source) + " (" + std::to_string(component_count()) + " PCA components)";
  out.labels_source = std::string(data.labels_source);
  out.labels.assign(data.labels, data.labels + data.count);
  out.images.resize(out.count * out.features);
  for (std::size_t i = 0; i < data.count; ++i) transform(data.sample(i), out.images.data() + i * out.features);
  return out;
}

void save_pca(const Pca& pca, const std::filesystem::path& path) {
  const auto vector = [](std::span<const float> values) { return std::vector<float>(values.begin(), values.end()); };
  const std::size_t k = pca.component_count(), d = pca.input_features();
  io::save_npz(path, {{"mean_", vector(pca.mean()), {d}},
                      {"components_", vector(pca.components()), {k, d}},
                      {"explained_variance_", vector(pca.explained_variance()), {k}},
                      {"explained_variance_ratio_", vector(pca.explained_variance_ratio()), {k}},
                      {"whiten", {pca.whiten() ? 1.0f : 0.0f}, {}}});
}

Pca load_pca(const std::filesystem::path& path) {
  std::map<std::string, io::NpyArray> arrays = io::read_npz(path);
  const auto take = [&](const std::string& name, std::size_t rank) {
    const auto found = arrays.find(name);
    if (found == arrays.end())
      throw Error(path.string() + ": has no array '" + name + "'; a PCA file (save_pca) has mean_, components_, "
                  "explained_variance_, explained_variance_ratio_ and whiten");
    if (found->second.shape.size() != rank)
      throw Error(path.string() + ": '" + name + "' is " + std::to_string(found->second.shape.size()) +
                  "-dimensional; it must be " + std::to_string(rank) + "-dimensional");
    return std::move(found->second);
  };
  io::NpyArray mean = take("mean_", 1), components = take("components_", 2), variance = take("explained_variance_", 1),
               ratio = take("explained_variance_ratio_", 1), whiten = take("whiten", 0);
  if (components.shape[1] != mean.shape[0])
    throw Error(path.string() + ": components_ has " + std::to_string(components.shape[1]) + " features and mean_ " +
                std::to_string(mean.shape[0]));
  if (whiten.values.size() != 1 || (whiten.values[0] != 0.0f && whiten.values[0] != 1.0f))
    throw Error(path.string() + ": 'whiten' must be one value, 0 or 1");
  return Pca(std::move(mean.values), std::move(components.values), std::move(variance.values), std::move(ratio.values),
             whiten.values[0] == 1.0f, path.string());
}

}  // namespace ctnn
