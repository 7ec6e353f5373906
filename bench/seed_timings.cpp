// Timings of the generated code for the seed network on Fashion-MNIST: a training step at
// batch 200, a training epoch, batch-1 prediction latency and batched prediction throughput.
// Medians (and spread) over repeated runs; one thread. The side-by-side comparison with the
// generic engine and PyTorch belongs to a later benchmark.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctnn/ctnn.hpp>
#include <numeric>
#include <vector>

using SeedNet = ctnn::Net<ctnn::Dense<784, 400, ctnn::ReLU>, ctnn::Dense<400, 20>, ctnn::Softmax<10>>;
constexpr std::size_t batch = 200;
using clock_type = std::chrono::steady_clock;

struct Summary {
  double median, p10, p90, p99;
};

Summary summarize(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) { return samples[std::size_t(q * double(samples.size() - 1))]; };
  return {at(0.5), at(0.1), at(0.9), at(0.99)};
}

template <class F>
std::vector<double> time_runs(std::size_t runs, F&& work) {
  std::vector<double> seconds;
  for (std::size_t i = 0; i < runs; ++i) {
    const auto start = clock_type::now();
    work();
    seconds.push_back(std::chrono::duration<double>(clock_type::now() - start).count());
  }
  return seconds;
}

int main() {
  const auto data = ctnn::io::load_idx();
  ctnn::Model<SeedNet> model{ctnn::Seed{1}};
  ctnn::FlushDenormals flush;
  ctnn::TrainingStep<SeedNet, batch> step(model);
  std::vector<std::uint32_t> order(data.train.count);
  std::iota(order.begin(), order.end(), 0u);
  const ctnn::SGD sgd{.learning_rate = 0.01f};
  std::size_t next = 0;
  auto one_step = [&] {
    step.load_batch(data.train.images.data(), data.train.labels.data(), std::span(order).subspan(next, batch));
    step.compute_gradients(batch);
    ctnn::apply_update(sgd, step.parameters(), step.gradients(), step.velocities());
    next = (next + batch) % data.train.count;
  };
  std::printf("ctnn seed network %s, SIMD %s (%zu floats), 1 thread\n\n", SeedNet::describe().c_str(),
              ctnn::simd::architecture_name(), ctnn::simd::lanes);

  const double flops_per_step = 2.0 * batch * (784.0 * 400 * 3 + 400.0 * 20 * 3 + 20.0 * 10 * 3 - 784.0 * 400);
  const Summary steps = summarize(time_runs(300, one_step));
  std::printf("training step, batch %zu:   median %8.1f us  (p10 %.1f, p90 %.1f)  %.1f GFLOP/s\n", batch,
              steps.median * 1e6, steps.p10 * 1e6, steps.p90 * 1e6, flops_per_step / steps.median / 1e9);

  const Summary epochs = summarize(time_runs(5, [&] {
    for (std::size_t s = 0; s < data.train.count / batch; ++s) one_step();
  }));
  std::printf("training epoch, 60000 images: median %8.3f s   (p10 %.3f, p90 %.3f)\n", epochs.median, epochs.p10,
              epochs.p90);

  float probabilities[10];
  std::size_t sample = 0;
  const Summary single = summarize(time_runs(10000, [&] {
    model.predict(data.test.sample(sample), probabilities);
    sample = (sample + 1) % data.test.count;
  }));
  std::printf("prediction, batch 1:          median %8.2f us  (p10 %.2f, p99 %.2f)\n", single.median * 1e6,
              single.p10 * 1e6, single.p99 * 1e6);

  std::vector<float> all(data.test.count * 10);
  const Summary batched = summarize(time_runs(20, [&] { model.predict(data.test.images.data(), data.test.count, all.data()); }));
  std::printf("prediction, 10000 images:     median %8.2f ms  (p10 %.2f, p90 %.2f)  %.0f images/s\n",
              batched.median * 1e3, batched.p10 * 1e3, batched.p90 * 1e3, double(data.test.count) / batched.median);
}
