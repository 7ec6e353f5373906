// The generated forward pass against the naive double-precision reference.
#include <catch2/catch.hpp>
#include <ctnn/codegen/softmax.hpp>
#include <ctnn/ctnn.hpp>

#include <bit>
#include <cstdint>
#include <limits>
#include <utility>

#include "dense_views.hpp"
#include "reference_mlp.hpp"
#include "test_data.hpp"

using namespace ctnn;

namespace {

template <class N>
void check_against_reference(std::size_t rows, std::uint64_t seed) {
  Model<N> model{Seed{seed}};
  const testing::Batch batch = testing::random_batch(rows, N::input_size, N::output_size, seed);
  std::vector<float> generated(rows * N::output_size);
  model.predict(batch.x.data(), rows, generated.data());
  const std::vector<double> expected = reference::from_model(model).forward(batch.x_double(), rows);
  double worst = 0.0;
  for (std::size_t i = 0; i < generated.size(); ++i)
    worst = std::max(worst, reference::relative_difference(generated[i], expected[i]));
  INFO(N::describe() << ", " << rows << " rows");
  CHECK(worst <= 1e-5);
}

}  // namespace

TEST_CASE("forward pass equals the scalar reference") {
  // Widths that are and are not multiples of the SIMD width, every activation.
  check_against_reference<Net<Dense<13, 7, Tanh>, Dense<7, 5, Sigmoid>, Softmax<3>>>(11, 1);
  check_against_reference<Net<Dense<37, 33, ReLU>, Dense<33, 17, Linear>, Softmax<10>>>(29, 2);
  check_against_reference<Net<Dense<9, 19, Sigmoid>>>(7, 3);
  check_against_reference<Net<Dense<16, 16, Tanh>, Dense<16, 16, ReLU>, Softmax<4>>>(1, 4);
  check_against_reference<Net<Dense<784, 400, ReLU>, Dense<400, 20>, Softmax<10>>>(21, 5);
}

TEST_CASE("a row's prediction does not depend on the batch it is in") {
  using N = Net<Dense<31, 45, ReLU>, Dense<45, 12, Tanh>, Softmax<6>>;
  Model<N> model{Seed{7}};
  const std::size_t rows = prediction_rows * 2 + 13;  // two full chunks and a partial one
  const testing::Batch batch = testing::random_batch(rows, N::input_size, N::output_size, 7);
  std::vector<float> together(rows * N::output_size);
  model.predict(batch.x.data(), rows, together.data());
  for (std::size_t r = 0; r < rows; ++r) {
    std::array<float, N::output_size> alone{}, single{};
    model.predict(batch.x.data() + r * N::input_size, 1, alone.data());
    // The single-sample path (matrix-vector kernel) adds in another order: equal up to rounding.
    model.predict(std::span<const float, N::input_size>(batch.x.data() + r * N::input_size, N::input_size), single);
    for (std::size_t o = 0; o < N::output_size; ++o) {
      REQUIRE(alone[o] == together[r * N::output_size + o]);
      REQUIRE(reference::relative_difference(single[o], alone[o], 1e-6) < 1e-5);
    }
  }
}

TEST_CASE("softmax outputs are probabilities even for huge logits") {
  using N = Net<Dense<3, 5, Linear>, Softmax<3>>;
  Model<N> model{Seed{1}};
  auto w = testing::kernel(model, 0);
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t o = 0; o < 5; ++o) w(i, o) = 1000.0f * float(o + 1);
  const float x[3] = {1.0f, 2.0f, 3.0f};
  float p[3];
  model.predict(x, p);
  double total = 0.0;
  for (float v : p) {
    CHECK(std::isfinite(v));
    CHECK(v >= 0.0f);
    total += v;
  }
  CHECK(total == Approx(1.0).epsilon(1e-6));
}

namespace {

// softmax_rows on `rows` random rows of n classes against softmax_row on each row, bit for bit.
template <class N, class Stride>
void check_rows_match_single_rows(N n, Stride stride, std::size_t rows, std::uint64_t seed) {
  const std::size_t row_floats = stride;
  Arena arena(2 * rows * row_floats * sizeof(float));
  float* batch = in_arena(arena.data(), 0);
  float* single = batch + rows * row_floats;
  Rng rng(seed, 0);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < row_floats; ++c) {
      float value = c < std::size_t(n) ? float(20.0 * rng.uniform() - 10.0) : 0.0f;
      if (r % 5 == 1 && c < std::size_t(n)) value = 3.0f;                          // every class tied
      if (r % 5 == 2 && c + 1 == std::size_t(n)) value = 500.0f;                   // one class dominates
      if (r % 5 == 3 && c == 0 && std::size_t(n) > 1) value = -std::numeric_limits<float>::infinity();
      batch[r * row_floats + c] = single[r * row_floats + c] = value;
    }
  codegen::softmax_rows(n, stride, batch, rows);
  for (std::size_t r = 0; r < rows; ++r) codegen::softmax_row(n, stride, single + r * row_floats);
  std::size_t differing = 0;
  for (std::size_t i = 0; i < rows * row_floats; ++i)
    differing += std::bit_cast<std::uint32_t>(batch[i]) != std::bit_cast<std::uint32_t>(single[i]);
  INFO(std::size_t(n) << " classes, " << rows << " rows");
  CHECK(differing == 0);
}

}  // namespace

// softmax_rows works on blocks of rows side by side; a block must compute what one row alone does.
TEST_CASE("softmax over a batch, rows side by side, is softmax of each row on its own, bit for bit") {
  using codegen::fixed;
  // Up to 8 classes, whole groups of `lanes` rows go through softmax_narrow_block, a row per lane.
  for (const std::size_t rows : {1, 7, 8, 9, 15, 16, 17, 23, 31, 32, 33, 200}) {
    [&]<std::size_t... N>(std::index_sequence<N...>) {
      (check_rows_match_single_rows(fixed<N + 1>{}, fixed<simd::padded(N + 1)>{}, rows, N + 1), ...);
    }(std::make_index_sequence<9>{});
    check_rows_match_single_rows(fixed<10>{}, fixed<simd::padded(10)>{}, rows, 10);
    check_rows_match_single_rows(fixed<17>{}, fixed<simd::padded(17)>{}, rows, 17);
    for (const std::size_t n : {1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 33, 100})  // run-time extents, as the engine has them
      check_rows_match_single_rows(n, simd::padded(n), rows, 50 + n);
  }
}
