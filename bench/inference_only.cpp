// An inference-only program, to measure what embedding a network costs in binary size: with
// CTNN_BENCH_NETWORK set to one of tiny/small/seed/wide it holds the generated code of that
// network; with CTNN_BENCH_ENGINE it holds the generic engine, which runs any spec.
// Reads float32 samples from a file and prints the class of each.
//   bench_inference_<network> samples.f32       bench_inference_engine SPEC samples.f32
#include <cstdio>
#include <vector>

#ifdef CTNN_BENCH_ENGINE
#include <ctnn/engine/network.hpp>
#else
#include <ctnn/net/model.hpp>
#endif

namespace {

#ifndef CTNN_BENCH_ENGINE
using namespace ctnn;
#define TINY Net<Dense<16, 16, ReLU>, Dense<16, 16, ReLU>, Softmax<4>>
#define SMALL Net<Dense<784, 32, ReLU>, Softmax<10>>
#define SEED Net<Dense<784, 400, ReLU>, Dense<400, 20, ReLU>, Softmax<10>>
#define WIDE Net<Dense<784, 1024, ReLU>, Dense<1024, 512, ReLU>, Dense<512, 256, ReLU>, Softmax<10>>
using Network = CTNN_BENCH_NETWORK;
#endif

template <class M>
int classify_file(M& model, const char* path) {
  std::FILE* file = std::fopen(path, "rb");
  if (!file) {
    std::fprintf(stderr, "%s: cannot open\n", path);
    return 1;
  }
  std::vector<float> sample(model.input_size()), probabilities(model.output_size());
  while (std::fread(sample.data(), sizeof(float), sample.size(), file) == sample.size()) {
    model.predict(sample.data(), probabilities.data());
    std::size_t best = 0;
    for (std::size_t c = 1; c < probabilities.size(); ++c)
      if (probabilities[c] > probabilities[best]) best = c;
    std::printf("%zu %.4f\n", best, double(probabilities[best]));
  }
  std::fclose(file);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
#ifdef CTNN_BENCH_ENGINE
  if (argc != 3) return std::fprintf(stderr, "usage: %s SPEC SAMPLES\n", argv[0]), 2;
  try {
    ctnn::engine::Network model{argv[1], ctnn::Seed{1}};
    return classify_file(model, argv[2]);
  } catch (const ctnn::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
#else
  if (argc != 2) return std::fprintf(stderr, "usage: %s SAMPLES\n", argv[0]), 2;
  ctnn::Model<Network> model{ctnn::Seed{1}};
  return classify_file(model, argv[1]);
#endif
}
