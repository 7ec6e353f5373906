// One round of the side-by-side benchmark: the generated code (Model<Net>) against the generic
// engine (engine::Network built from Net::spec()) on eight networks (six MLPs, and the
// convolutional networks A and B of the Fashion-MNIST seed, measured only when named with --only), every measurement alternating
// between the two backends so that a noisy machine slows both alike. Prints the round's samples
// as JSON on stdout; bench/compare.py runs several rounds, interleaved with PyTorch, and prints
// the table. Training and batched prediction use --threads threads (default 1); batch-1
// prediction always runs on one.
//
//   bench_compare_backends [--data DIR] [--only NAME] [--quick] [--threads N]
//   bench_compare_backends --products [--threads N]    each network's products, as its kernels plan them
#include <cstdio>
#include <cstring>
#include <ctnn/ctnn.hpp>
#include <numeric>
#include <string>
#include <vector>

#include "timing.hpp"

using namespace ctnn;
using bench::quantile;

namespace {

using MicroNet = Net<Dense<24, 8, ReLU>, Softmax<2>>;
using TinyNet = Net<Dense<16, 16, ReLU>, Dense<16, 16, ReLU>, Softmax<4>>;
using SmallNet = Net<Dense<784, 32, ReLU>, Softmax<10>>;
using SeedNet = Net<Dense<784, 400, ReLU>, Dense<400, 20, ReLU>, Softmax<10>>;
// The batch-normalisation notebook's network: BatchNorm and Dropout(0.5) after both hidden layers.
using BatchNormNet = Net<Dense<784, 600, ReLU>, BatchNorm<>, Dropout<0.5>, Dense<600, 100, ReLU>, BatchNorm<>,
                         Dropout<0.5>, Softmax<10>>;
using WideNet = Net<Dense<784, 1024, ReLU>, Dense<1024, 512, ReLU>, Dense<512, 256, ReLU>, Softmax<10>>;
// The seed's CNNs A and B (examples/train_fashion_cnn.cpp), trained at batch 64.
using CnnA = Net<Input<28, 28, 1>, Conv2D<32, 3, 3, ReLU>, MaxPool2D<2>, Flatten, Dense<inferred, 128, ReLU>, Softmax<10>>;
template <std::size_t Filters>
using SameConv = Conv2D<Filters, 3, 3, ReLU, Same>;
using CnnB = Net<Input<28, 28, 1>, SameConv<32>, MaxPool2D<2>, Dropout<0.25>, SameConv<64>, MaxPool2D<2>, Dropout<0.25>,
                 SameConv<128>, MaxPool2D<2>, Dropout<0.4>, Flatten, Dense<inferred, 128, ReLU>, Dropout<0.5>,
                 Softmax<10>>;

constexpr std::size_t mlp_batch = 200, cnn_batch = 64;

// Reads one value of every page of a data set. On the virtual machines measured, the first read of a
// page after the loader wrote it costs about 5 us (the hypervisor maps it again): a step that gathers
// 200 rows nobody has read yet took 900 us instead of 130, and whichever backend went first paid it.
// Real training reads every page in fit's finite-values check before the first step.
float touch_pages(const DatasetView& data) {
  constexpr std::size_t floats_per_page = 4096 / sizeof(float);
  float sum = 0.0f;
  for (std::size_t i = 0; i < data.count * data.features; i += floats_per_page) sum += data.images[i];
  return sum;
}

struct Repetitions {
  std::size_t latency_calls = 10000;  // per backend, in blocks of 1000 alternating between backends
  std::size_t batched = 5;            // predictions of the 10,000 test images
  std::size_t steps = 50;             // training steps (batch 200 for the MLPs, 64 for the CNNs)
  std::size_t epochs = 2;             // training epochs over 60,000 images (at least 2: A B, B A)
};

struct Samples {
  std::vector<double> latency, batched, step, epoch;  // seconds
};

// The FLOPs of one training step of the layers with a kernel (Dense, Conv2D; a convolution's kernel
// is applied at every output pixel): forward, kernel gradients, input gradients of all but the first layer.
template <NetType N, std::size_t Batch>
constexpr double step_flops() {
  double multiply_adds = 0.0;
  for (std::size_t i = 0; i < N::layer_count; ++i) {
    if (N::tensors[i].empty() || N::tensors[i][0].name != "kernel") continue;
    const layers::Tensor& kernel = N::tensors[i][0];
    const double applications = double(N::output_shapes[i].elements() / kernel.columns);
    multiply_adds += double(kernel.rows * kernel.columns) * applications * (i == 0 ? 2.0 : 3.0);
  }
  return 2.0 * double(Batch) * multiply_adds;
}

// Times `calls` single-sample predictions, each on its own, the clock's cost subtracted.
template <class M>
void time_latency(M& model, const DatasetView& test, std::size_t calls, double overhead, std::vector<double>& out) {
  std::vector<float> probabilities(model.output_size());
  for (std::size_t i = 0; i < calls; ++i) {
    const float* sample = test.sample(i % test.count);
    const auto start = bench::clock_type::now();
    model.predict(sample, probabilities.data());
    out.push_back(std::max(0.0, bench::seconds_since(start) - overhead));
  }
}

// All four measurements for one backend, `rounds` interleaving steps at a time.
template <std::size_t Batch, class M>
class Measurer {
 public:
  Measurer(M& model, const DatasetView& train, const DatasetView& test, std::size_t threads)
      : model_(model), train_(train), test_(test), step_(training_step<Batch>(model)), order_(train.count),
        probabilities_(test.count * model.output_size()), threads_(threads) {
    std::iota(order_.begin(), order_.end(), 0u);
    model_.set_threads(threads);
  }

  void latency(std::size_t calls, double overhead) { time_latency(model_, test_, calls, overhead, samples.latency); }
  void batched() {
    samples.batched.push_back(bench::time_runs(1, [&] { model_.predict(test_.images, test_.count, probabilities_.data()); })[0]);
  }
  void step() {
    FlushDenormals flush;  // as fit() does
    const SGD sgd{.learning_rate = 0.01f};
    samples.step.push_back(bench::time_runs(1, [&] {
      step_.load_batch(train_.images, train_.labels, std::span(order_).subspan(next_, Batch));
      step_.compute_gradients(Batch);
      apply_update(sgd, 1, step_.parameters(), step_.gradients(), step_.optimizer_state().data(),
                   step_.optimizer_state_stride(), threads_);
    })[0]);
    next_ = (next_ + Batch) % (train_.count - Batch);
  }
  void epoch() {
    const FitOptions options{.epochs = 1, .optimizer = SGD{.learning_rate = 0.01f}, .seed = ++epochs_, .verbose = false};
    samples.epoch.push_back(bench::time_runs(1, [&] { fit<Batch>(model_, train_, options); })[0]);
  }

  Samples samples;

 private:
  M& model_;
  DatasetView train_, test_;
  decltype(training_step<Batch>(std::declval<M&>())) step_;
  std::vector<std::uint32_t> order_;
  std::vector<float> probabilities_;
  std::size_t threads_;
  std::size_t next_ = 0;
  std::uint64_t epochs_ = 0;
};

void print_samples(const char* name, const Samples& s, bool last) {
  auto array = [](const std::vector<double>& v) {
    std::string text = "[";
    char number[32];
    for (std::size_t i = 0; i < v.size(); ++i) {
      std::snprintf(number, sizeof number, "%s%.9g", i ? ", " : "", v[i]);
      text += number;
    }
    return text + "]";
  };
  std::printf("      \"%s\": {\"latency_median_s\": %.9f, \"latency_p99_s\": %.9f, \"latency_calls\": %zu,\n", name,
              quantile(s.latency, 0.5), quantile(s.latency, 0.99), s.latency.size());
  std::printf("        \"batched_s\": %s, \"step_s\": %s, \"epoch_s\": %s}%s\n", array(s.batched).c_str(),
              array(s.step).c_str(), array(s.epoch).c_str(), last ? "" : ",");
}

template <NetType N, std::size_t Batch = mlp_batch>
void measure(const char* name, const DatasetView& train, const DatasetView& test, Repetitions reps, double overhead,
             std::size_t threads, bool last) {
  std::fprintf(stderr, "  %s %s\n", name, N::spec().c_str());
  if (touch_pages(train) + touch_pages(test) == -1.0f) std::fprintf(stderr, " ");  // keeps the reads
  Model<N> generated_model{Seed{1}};
  engine::Network generic_model{N::spec(), Seed{1}};
  Measurer<Batch, Model<N>> generated(generated_model, train, test, threads);
  Measurer<Batch, engine::Network> generic(generic_model, train, test, threads);

  // Each repetition runs both backends, in the order A B, then B A, and so on: whichever runs
  // first after the other pays for caches the other warmed, and the alternation cancels that out.
  auto both = [&](std::size_t repetition, auto&& measure_one) {
    if (repetition % 2 == 0) measure_one(generated), measure_one(generic);
    else measure_one(generic), measure_one(generated);
  };
  constexpr std::size_t block = 1000;
  for (std::size_t i = 0; i * block < reps.latency_calls; ++i) both(i, [&](auto& m) { m.latency(block, overhead); });
  for (std::size_t i = 0; i < reps.batched; ++i) both(i, [](auto& m) { m.batched(); });
  for (std::size_t i = 0; i < reps.steps; ++i) both(i, [](auto& m) { m.step(); });
  for (std::size_t i = 0; i < reps.epochs; ++i) both(i, [](auto& m) { m.epoch(); });

  std::printf("  {\"name\": \"%s\", \"spec\": \"%s\", \"params\": %zu, \"step_flops\": %.0f, \"batch\": %zu,\n", name,
              N::spec().c_str(), N::param_count, step_flops<N, Batch>(), Batch);
  std::printf("    \"backends\": {\n");
  print_samples("generated", generated.samples, false);
  print_samples("generic", generic.samples, true);
  std::printf("    }}%s\n", last ? "" : ",");
}

// Random data for the small synthetic networks (bench/pytorch_backend.py draws the same shapes).
Dataset synthetic(std::size_t count, std::size_t features, std::size_t classes, std::uint64_t seed) {
  Dataset data;
  data.count = count;
  data.features = features;
  data.images.resize(count * features);
  data.labels.resize(count);
  Rng rng(seed, 0);
  for (float& v : data.images) v = float(rng.uniform());
  for (auto& label : data.labels) label = std::uint8_t(rng.below(classes));
  return data;
}

// Every network's Net::describe_products at the batch size it is measured at.
void print_products(std::size_t threads) {
  const auto print = [&]<class N>(const char* name, std::size_t batch) {
    std::printf("%s: %s\n%s\n", name, N::describe().c_str(), N::describe_products(batch, threads).c_str());
  };
  print.operator()<MicroNet>("micro", mlp_batch);
  print.operator()<TinyNet>("tiny", mlp_batch);
  print.operator()<SmallNet>("small", mlp_batch);
  print.operator()<SeedNet>("seed", mlp_batch);
  print.operator()<BatchNormNet>("batchnorm", mlp_batch);
  print.operator()<WideNet>("wide", mlp_batch);
  print.operator()<CnnA>("cnn_a", cnn_batch);
  print.operator()<CnnB>("cnn_b", cnn_batch);
}

}  // namespace

int main(int argc, char** argv) {
  std::string directory = io::default_data_directory, only;
  Repetitions reps;
  std::size_t threads = 1;
  bool products = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--data" && i + 1 < argc) directory = argv[++i];
    else if (flag == "--products") products = true;
    else if (flag == "--only" && i + 1 < argc) only = argv[++i];
    else if (flag == "--quick") reps = {.latency_calls = 10000, .batched = 2, .steps = 10, .epochs = 2};
    else if (flag == "--threads" && i + 1 < argc) threads = std::max(1, std::atoi(argv[++i]));
    else {
      std::fprintf(stderr, "usage: %s [--data DIR] [--only micro|tiny|small|seed|batchnorm|wide|cnn_a|cnn_b] [--quick] [--threads N]\n"
                           "       %s --products [--threads N]\n", argv[0], argv[0]);
      return 2;
    }
  }
  if (products) {
    print_products(threads);
    return 0;
  }
  try {
    const TrainTestData fashion = io::load_idx(directory);
    const Dataset tiny_train = synthetic(60000, 16, 4, 1), tiny_test = synthetic(10000, 16, 4, 2);
    const Dataset micro_train = synthetic(60000, 24, 2, 3), micro_test = synthetic(10000, 24, 2, 4);
    const double overhead = bench::timer_overhead_seconds();

    std::printf("{\"simd\": \"%s\", \"lanes\": %zu, \"threads\": %zu, \"timer_overhead_s\": %.9f, \"networks\": [\n",
                simd::architecture_name(), simd::lanes, threads, overhead);
    const bool all = only.empty();
    if (all || only == "micro")
      measure<MicroNet>("micro", micro_train.view(), micro_test.view(), reps, overhead, threads, only == "micro");
    if (all || only == "tiny") measure<TinyNet>("tiny", tiny_train.view(), tiny_test.view(), reps, overhead, threads, only == "tiny");
    if (all || only == "small")
      measure<SmallNet>("small", fashion.train.view(), fashion.test.view(), reps, overhead, threads, only == "small");
    if (all || only == "seed")
      measure<SeedNet>("seed", fashion.train.view(), fashion.test.view(), reps, overhead, threads, only == "seed");
    if (all || only == "batchnorm")
      measure<BatchNormNet>("batchnorm", fashion.train.view(), fashion.test.view(), reps, overhead, threads,
                            only == "batchnorm");
    if (all || only == "wide") {
      Repetitions wide = reps;
      wide.batched = std::max<std::size_t>(2, reps.batched / 2), wide.steps = std::max<std::size_t>(6, reps.steps / 3);
      measure<WideNet>("wide", fashion.train.view(), fashion.test.view(), wide, overhead, threads, true);
    }
    // The CNNs' epochs take minutes: measured when asked for by name.
    if (only == "cnn_a") measure<CnnA, cnn_batch>("cnn_a", fashion.train.view(), fashion.test.view(), reps, overhead, threads, true);
    if (only == "cnn_b") measure<CnnB, cnn_batch>("cnn_b", fashion.train.view(), fashion.test.view(), reps, overhead, threads, true);
    std::printf("]}\n");
  } catch (const Error& e) {
    std::fprintf(stderr, "bench_compare_backends: %s\n", e.what());
    return 1;
  }
}
