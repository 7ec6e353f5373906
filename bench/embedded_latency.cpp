// Batch-1 latency of an exported header (generated/fashion_mlp) beside the same weights run by
// Model<Net>::predict and by the generic engine, in one run, alternating A-B-C / C-B-A between
// rounds so that drifts of the machine's speed fall on all three alike. Prints medians and p99.
//   bench_embedded_latency [--rounds N]
#include <cstdio>
#include <cstring>
#include <ctnn/ctnn.hpp>
#include <string>

#include "fashion_mlp.hpp"
#include "timing.hpp"

namespace {

using FashionNet = ctnn::Net<ctnn::Dense<784, 64, ctnn::ReLU>, ctnn::Softmax<10>>;

struct Latencies {
  std::vector<double> seconds;
  void add(const std::vector<double>& more, double overhead) {
    for (const double s : more) seconds.push_back(std::max(0.0, s - overhead));
  }
};

std::string format_time(double seconds) {
  char text[32];
  if (seconds < 1e-6) std::snprintf(text, sizeof text, "%.0f ns", seconds * 1e9);
  else std::snprintf(text, sizeof text, "%.2f us", seconds * 1e6);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t rounds = 20;
  if (argc == 3 && std::strcmp(argv[1], "--rounds") == 0) rounds = std::stoul(argv[2]);
  const auto data = ctnn::io::load_idx().test;
  const ctnn::Model<FashionNet> model = ctnn::io::load<FashionNet>(CTNN_SOURCE_DIR "/generated/fashion_mlp.ctnn");
  ctnn::engine::Network network = ctnn::io::load_network(CTNN_SOURCE_DIR "/generated/fashion_mlp.ctnn");
  fashion_mlp::expect_architecture<FashionNet>();
  const ctnn::FlushDenormals flush_denormals;

  constexpr std::size_t calls = 2000;
  float probabilities[10];
  std::size_t next = 0;
  const auto sample = [&] { return data.sample(next++ % data.count); };
  const double overhead = ctnn::bench::timer_overhead_seconds();
  Latencies embedded, generated, engine;
  const auto measure = [&](int which) {
    switch (which) {
      case 0: embedded.add(ctnn::bench::time_runs(calls, [&] { fashion_mlp::predict(sample(), probabilities); }), overhead); break;
      case 1: generated.add(ctnn::bench::time_runs(calls, [&] { model.predict(sample(), probabilities); }), overhead); break;
      default: engine.add(ctnn::bench::time_runs(calls, [&] { network.predict(sample(), probabilities); }), overhead); break;
    }
  };
  for (std::size_t round = 0; round < rounds; ++round)
    for (int i = 0; i < 3; ++i) measure(round % 2 == 0 ? i : 2 - i);

  std::printf("batch-1 latency of %s (%s), %zu calls each over the Fashion-MNIST test images, SIMD %s\n",
              fashion_mlp::architecture.data(), "generated/fashion_mlp", rounds * calls, ctnn::simd::architecture_name());
  std::printf("%-34s %10s %10s %14s\n", "backend", "median", "p99", "vs embedded");
  const double reference = ctnn::bench::quantile(embedded.seconds, 0.5);
  for (const auto& [name, latencies] : {std::pair<const char*, const Latencies*>{"exported header (fashion_mlp.hpp)", &embedded},
                                        {"Model<Net>::predict", &generated},
                                        {"engine::Network::predict", &engine}}) {
    const double median = ctnn::bench::quantile(latencies->seconds, 0.5);
    std::printf("%-34s %10s %10s %13.2fx\n", name, format_time(median).c_str(),
                format_time(ctnn::bench::quantile(latencies->seconds, 0.99)).c_str(), median / reference);
  }
}
