// PCA as a data transform: against values worked out by hand, against the definition of an eigenpair
// of a covariance computed here naively in double precision, and its file round trip and refusals.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include <cmath>
#include <numeric>

#include "temp_dir.hpp"

using namespace ctnn;
using Catch::Matchers::Contains;

namespace {

Dataset rows_of(std::size_t features, const std::vector<float>& values) {
  Dataset data;
  data.features = features;
  data.count = values.size() / features;
  data.images = values;
  data.labels.assign(data.count, 0);
  data.images_source = "the test rows", data.labels_source = "the test labels";
  return data;
}

// `count` samples of `features` values: independent normal values scaled per feature, then mixed by a
// random matrix so that the covariance has no zero entries (and, almost surely, full rank).
Dataset random_rows(std::size_t count, std::size_t features, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<double> mixing(features * features);
  for (double& m : mixing) m = rng.uniform() - 0.5;
  std::vector<float> values(count * features);
  for (std::size_t i = 0; i < count; ++i) {
    std::vector<double> raw(features);
    for (std::size_t j = 0; j < features; ++j) raw[j] = rng.normal() * double(features - j) + double(j);
    for (std::size_t j = 0; j < features; ++j) {
      double mixed = 0.0;
      for (std::size_t m = 0; m < features; ++m) mixed += raw[m] * mixing[j * features + m];
      values[i * features + j] = float(mixed);
    }
  }
  return rows_of(features, values);
}

// The covariance (divided by n - 1), naively, in double precision.
std::vector<double> naive_covariance(const Dataset& data) {
  const std::size_t n = data.count, d = data.features;
  std::vector<double> mean(d, 0.0), covariance(d * d, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) mean[j] += data.sample(i)[j];
  for (double& m : mean) m /= double(n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t a = 0; a < d; ++a)
      for (std::size_t b = 0; b < d; ++b)
        covariance[a * d + b] += (data.sample(i)[a] - mean[a]) * (data.sample(i)[b] - mean[b]);
  for (double& c : covariance) c /= double(n - 1);
  return covariance;
}

}  // namespace

TEST_CASE("PCA of four points worked out by hand") {
  // Around the mean (5, 7): (+-3, 0) and (0, +-1). Divided by n - 1 = 3, the variances are 6 along x
  // and 2/3 along y, 90% and 10% of the total.
  const Dataset data = rows_of(2, {8, 7, 2, 7, 5, 8, 5, 6});
  const Pca both = Pca::fit(data, {.components = 2});
  CHECK(both.mean()[0] == 5.0f);
  CHECK(both.mean()[1] == 7.0f);
  CHECK(both.explained_variance()[0] == Approx(6.0));
  CHECK(both.explained_variance()[1] == Approx(2.0 / 3.0));
  CHECK(both.explained_variance_ratio()[0] == Approx(0.9));
  CHECK(both.explained_variance_ratio()[1] == Approx(0.1));
  // The components are the axes, each signed so that its largest entry is positive.
  CHECK(both.components()[0] == Approx(1.0));
  CHECK(both.components()[1] == Approx(0.0).margin(1e-7));
  CHECK(both.components()[2] == Approx(0.0).margin(1e-7));
  CHECK(both.components()[3] == Approx(1.0));
  // More than 85% of the variance takes one component, more than 95% both.
  CHECK(Pca::fit(data, {.variance = 0.85}).component_count() == 1);
  CHECK(Pca::fit(data, {.variance = 0.95}).component_count() == 2);
  const float point[2] = {9, 5};
  float projected[2];
  both.transform(point, projected);
  CHECK(projected[0] == Approx(4.0));
  CHECK(projected[1] == Approx(-2.0));
}

TEST_CASE("PCA's components are eigenvectors of the covariance, largest variance first") {
  const Dataset data = random_rows(300, 6, 11);
  const std::size_t d = data.features;
  const std::vector<double> covariance = naive_covariance(data);
  const Pca pca = Pca::fit(data, {.components = d});
  double trace = 0.0;
  for (std::size_t j = 0; j < d; ++j) trace += covariance[j * d + j];
  CHECK(std::accumulate(pca.explained_variance().begin(), pca.explained_variance().end(), 0.0) == Approx(trace).epsilon(1e-5));
  for (std::size_t k = 0; k < d; ++k) {
    const float* v = pca.components().data() + k * d;
    const double lambda = pca.explained_variance()[k];
    if (k > 0) CHECK(lambda <= pca.explained_variance()[k - 1]);
    CHECK(pca.explained_variance_ratio()[k] == Approx(lambda / trace).epsilon(1e-5));
    for (std::size_t other = 0; other < d; ++other) {
      const float* w = pca.components().data() + other * d;
      double dot = 0.0;
      for (std::size_t j = 0; j < d; ++j) dot += double(v[j]) * w[j];
      CHECK(dot == Approx(other == k ? 1.0 : 0.0).margin(1e-5));
    }
    // C v = lambda v, relative to the largest variance.
    for (std::size_t a = 0; a < d; ++a) {
      double product = 0.0;
      for (std::size_t b = 0; b < d; ++b) product += covariance[a * d + b] * v[b];
      CHECK(product == Approx(lambda * v[a]).margin(1e-5 * pca.explained_variance()[0]));
    }
  }
}

TEST_CASE("PCA: the projections' variances are the explained variances, or 1 when whitened") {
  const Dataset data = random_rows(400, 5, 12);
  for (const bool whiten : {false, true}) {
    const Pca pca = Pca::fit(data, {.components = 3, .whiten = whiten});
    const Dataset projected = pca.transform(data);
    REQUIRE(projected.features == 3);
    CHECK(projected.labels == data.labels);
    for (std::size_t k = 0; k < 3; ++k) {
      double sum = 0.0, squares = 0.0;
      for (std::size_t i = 0; i < projected.count; ++i) sum += projected.sample(i)[k];
      for (std::size_t i = 0; i < projected.count; ++i) {
        const double centred = projected.sample(i)[k] - sum / double(projected.count);
        squares += centred * centred;
      }
      CHECK(sum / double(projected.count) == Approx(0.0).margin(1e-4));
      CHECK(squares / double(projected.count - 1) == Approx(whiten ? 1.0 : pca.explained_variance()[k]).epsilon(1e-4));
    }
  }
}

TEST_CASE("PCA reconstructs data of rank 2 from two components") {
  // Five features that are combinations of two: mean + s * u + t * w.
  Rng rng(5);
  std::vector<float> values;
  for (int i = 0; i < 50; ++i) {
    const double s = rng.normal(), t = rng.normal();
    for (int j = 0; j < 5; ++j) values.push_back(float(1.0 + j + s * (j - 2) + t * (j * j % 3)));
  }
  const Dataset data = rows_of(5, values);
  const Pca pca = Pca::fit(data, {.variance = 0.999});
  REQUIRE(pca.component_count() == 2);
  for (std::size_t i = 0; i < data.count; ++i) {
    float projected[2];
    pca.transform(data.sample(i), projected);
    for (std::size_t j = 0; j < 5; ++j) {
      const double rebuilt = pca.mean()[j] + projected[0] * pca.components()[j] + projected[1] * pca.components()[5 + j];
      CHECK(rebuilt == Approx(data.sample(i)[j]).margin(1e-4));
    }
  }
}

TEST_CASE("a PCA saved and loaded transforms as before, and a bad PCA file is named") {
  testing::TempDir dir;
  const Dataset data = random_rows(100, 4, 13);
  const Pca pca = Pca::fit(data, {.components = 2, .whiten = true});
  save_pca(pca, dir / "pca.npz");
  const Pca loaded = load_pca(dir / "pca.npz");
  CHECK(loaded.whiten());
  CHECK(pca.transform(data).images == loaded.transform(data).images);

  io::save_npz(dir / "partial.npz", {{"mean_", {0, 0, 0, 0}, {4}}});
  CHECK_THROWS_WITH(load_pca(dir / "partial.npz"), Contains("partial.npz: has no array 'components_'"));
  io::save_npz(dir / "mismatch.npz", {{"mean_", {0, 0, 0}, {3}},
                                      {"components_", std::vector<float>(8, 0.5f), {2, 4}},
                                      {"explained_variance_", {1, 1}, {2}},
                                      {"explained_variance_ratio_", {0.5, 0.5}, {2}},
                                      {"whiten", {0}, {}}});
  CHECK_THROWS_WITH(load_pca(dir / "mismatch.npz"), Contains("mismatch.npz: components_ has 4 features and mean_ 3"));
}

TEST_CASE("PCA refuses what it cannot do, saying why") {
  const Dataset data = random_rows(10, 4, 14);
  CHECK_THROWS_WITH(Pca::fit(data, {}), Contains("give PcaOptions either .variance"));
  CHECK_THROWS_WITH(Pca::fit(data, {.variance = 0.9, .components = 2}), Contains("give PcaOptions either .variance"));
  CHECK_THROWS_WITH(Pca::fit(data, {.variance = 1.5}), Contains("the variance to keep is 1.5"));
  CHECK_THROWS_WITH(Pca::fit(data, {.components = 5}), Contains("cannot keep 5 components; at most 4"));
  CHECK_THROWS_WITH(Pca::fit(rows_of(2, {1, 2, 1, 2, 1, 2}), {.components = 1}), Contains("every feature is constant"));
  // Whitening divides by a component's deviation: a component without variance cannot be whitened.
  CHECK_THROWS_WITH(Pca::fit(rows_of(2, {1, 2, 3, 2, 5, 2}), {.components = 2, .whiten = true}),
                    Contains("whitening divides by it"));
  Dataset broken = data;
  broken.images[6] = std::nanf("");
  CHECK_THROWS_WITH(Pca::fit(broken, {.components = 1}), Contains("PCA of the test rows: sample 1 has the value nan at feature 2"));
  const Pca pca = Pca::fit(data, {.components = 2});
  CHECK_THROWS_WITH(pca.transform(random_rows(3, 5, 1)), Contains("the test rows has 5 features; the PCA was fitted on 4"));
}

TEST_CASE("PCA(0.95) of MNIST's training rows after the first 5,000 keeps 154 components, as the notebook's scikit-learn did") {
  // The digits come from scripts/get-mnist.sh (scripts/run-tests.sh fetches them first).
  const TrainTestData mnist = io::load_data_set(io::data_directory("mnist"));
  const DatasetView rows = mnist.train.slice(5000, mnist.train.count);
  const Pca pca = Pca::fit(rows, {.variance = 0.95});
  CHECK(pca.component_count() == 154);
  double kept = 0.0;
  for (float ratio : pca.explained_variance_ratio()) kept += ratio;
  CHECK(kept > 0.95);
  CHECK(kept - pca.explained_variance_ratio()[153] <= 0.95);
}
