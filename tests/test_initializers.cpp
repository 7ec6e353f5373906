// Initial weights follow Keras's distributions; checked by their moments and ranges.
#include <catch2/catch.hpp>
#include <cmath>
#include <ctnn/ctnn.hpp>
#include <vector>

#include "dense_views.hpp"

using namespace ctnn;

namespace {

struct Moments {
  double mean = 0.0, stddev = 0.0, largest_magnitude = 0.0;
};

template <class View>
Moments moments_of(const View& w) {
  std::vector<double> values;
  for (std::size_t i = 0; i < w.rows; ++i)
    for (std::size_t o = 0; o < w.cols; ++o) values.push_back(w(i, o));
  Moments m;
  for (double v : values) m.mean += v;
  m.mean /= double(values.size());
  for (double v : values) {
    m.stddev += (v - m.mean) * (v - m.mean);
    m.largest_magnitude = std::max(m.largest_magnitude, std::abs(v));
  }
  m.stddev = std::sqrt(m.stddev / double(values.size()));
  return m;
}

}  // namespace

TEST_CASE("GlorotUniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)); biases zero") {
  Model<Net<Dense<300, 200, ReLU>, Softmax<10>>> model{Seed{1}};
  const double limit = std::sqrt(6.0 / 500.0);
  const Moments m = moments_of(testing::kernel(model, 0));
  CHECK(m.largest_magnitude <= limit);
  CHECK(m.largest_magnitude > 0.99 * limit);
  CHECK(std::abs(m.mean) < 0.01 * limit);
  CHECK(m.stddev == Approx(limit / std::sqrt(3.0)).epsilon(0.02));
  for (float b : testing::bias(model, 0)) CHECK(b == 0.0f);
}

TEST_CASE("HeNormal: truncated at two standard deviations, variance 2 / fan_in") {
  Model<Net<Dense<400, 300, ReLU, HeNormal>, Softmax<10>>> model{Seed{2}};
  const double target = std::sqrt(2.0 / 400.0);
  const Moments m = moments_of(testing::kernel(model, 0));
  CHECK(m.stddev == Approx(target).epsilon(0.02));
  CHECK(m.largest_magnitude <= 2.0 * target / 0.87962566103423978);
  CHECK(std::abs(m.mean) < 0.01 * target);
}

TEST_CASE("RandomNormal<mean, stddev> and Zeros") {
  Model<Net<Dense<200, 300, ReLU, RandomNormal<0.5f, 0.1f>>, Dense<300, 20, ReLU, Zeros>, Softmax<10>>> model{Seed{3}};
  const Moments m = moments_of(testing::kernel(model, 0));
  CHECK(m.mean == Approx(0.5).epsilon(0.01));
  CHECK(m.stddev == Approx(0.1).epsilon(0.02));
  CHECK(moments_of(testing::kernel(model, 1)).largest_magnitude == 0.0);
}

TEST_CASE("each layer draws its own numbers; the seed decides them") {
  using Twin = Net<Dense<30, 30, ReLU>, Dense<30, 30, ReLU>, Softmax<3>>;
  Model<Twin> a{Seed{4}}, b{Seed{4}}, c{Seed{5}};
  CHECK(testing::kernel(a, 0)(3, 4) != testing::kernel(a, 1)(3, 4));
  CHECK(testing::kernel(a, 1)(7, 2) == testing::kernel(b, 1)(7, 2));
  CHECK(testing::kernel(a, 1)(7, 2) != testing::kernel(c, 1)(7, 2));
}
