// Prints a fingerprint of the weights after one epoch of training, for networks that cover every
// layer kind, optimiser path and both backends. A refactoring that must not change a single bit
// of training (the layer protocol, the kernels' compile-cost work) is checked by comparing these
// lines before and after it: tests/bit_identity/expected.txt keeps them per instruction set.
//   training_fingerprints [IDX_DIR]
#include <bit>
#include <cstdint>
#include <cstdio>
#include <ctnn/ctnn.hpp>
#include <string>

namespace {

using SeedNet = ctnn::Net<ctnn::Dense<784, 400, ctnn::ReLU>, ctnn::Dense<400, 20>, ctnn::Softmax<10>>;
using Normal = ctnn::RandomNormal<0.0f, 0.05f>;
using BatchNormMlp = ctnn::Net<ctnn::Dense<784, 600, ctnn::ReLU, Normal>, ctnn::BatchNorm<>, ctnn::Dropout<0.5>,
                               ctnn::Dense<600, 100, ctnn::ReLU, Normal>, ctnn::BatchNorm<>, ctnn::Dropout<0.5>,
                               ctnn::Softmax<10, Normal>>;

// FNV-1a over the bits of every parameter, in model-file order.
template <class M>
std::uint64_t weights_fingerprint(const M& model) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (const float value : ctnn::io::snapshot(model).parameters) {
    std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
    for (int byte = 0; byte < 4; ++byte, bits >>= 8) hash = (hash ^ (bits & 0xffu)) * 0x100000001b3ull;
  }
  return hash;
}

template <std::size_t Batch, class M>
void train_and_print(const char* name, M& model, const ctnn::Dataset& data, ctnn::Optimizer optimizer) {
  ctnn::fit<Batch>(model, data, {.epochs = 1, .optimizer = optimizer, .seed = 7, .verbose = false});
  std::printf("%s %016llx\n", name, static_cast<unsigned long long>(weights_fingerprint(model)));
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const auto data = argc > 1 ? ctnn::io::load_idx(argv[1]) : ctnn::io::load_idx();
    std::printf("simd %s\n", ctnn::simd::architecture_name());
    ctnn::Model<SeedNet> seed{ctnn::Seed{42}};
    train_and_print<200>("seed_sgd", seed, data.train, ctnn::SGD{});
    ctnn::engine::Network seed_twin{SeedNet::spec(), ctnn::Seed{42}};
    train_and_print<200>("engine_seed_sgd", seed_twin, data.train, ctnn::SGD{});
    ctnn::Model<BatchNormMlp> batch_norm{ctnn::Seed{42}};
    train_and_print<128>("batchnorm_dropout_adam", batch_norm, data.train, ctnn::Adam{});
    ctnn::engine::Network batch_norm_twin{BatchNormMlp::spec(), ctnn::Seed{42}};
    train_and_print<128>("engine_batchnorm_dropout_rmsprop", batch_norm_twin, data.train,
                         ctnn::RMSprop{.momentum = 0.5f, .centered = true});
  } catch (const ctnn::Error& error) {
    std::fprintf(stderr, "training_fingerprints: %s\n", error.what());
    return 1;
  }
}
