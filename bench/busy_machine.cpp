// The seed network's epoch when another program keeps cores busy, against the quiet one-thread
// epoch: a busy machine should slow ctnn down in proportion to the CPU it gets, not stop it.
// Rows: quiet on 1 thread; quiet on the default count; busy with the thread count adapting
// (fit's default) and busy with it fixed (adapt_threads = false). Medians of --epochs epochs each.
//   bench_busy_machine [--busy N] [--epochs N] [--data DIR]
// --busy: how many processes spin beside training (default: 1, i.e. one core kept busy).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctnn/ctnn.hpp>
#include <string>
#include <vector>

#include "timing.hpp"

using namespace ctnn;

namespace {

using SeedNet = Net<Dense<784, 400, ReLU>, Dense<400, 20>, Softmax<10>>;

// Seconds of each of `epochs` epochs (after one not counted), same seed each time.
double median_epoch(const DatasetView& data, std::size_t threads, bool adapt, std::size_t epochs) {
  Model<SeedNet> model{Seed{42}};
  model.set_threads(threads);
  std::vector<double> seconds;
  for (std::size_t e = 0; e <= epochs; ++e) {
    const History history = fit<200>(model, data, {.epochs = 1, .adapt_threads = adapt, .verbose = false});
    if (e > 0) seconds.push_back(history.seconds.back());
  }
  return bench::quantile(seconds, 0.5);
}

// Processes that spin until killed: the other programs of a busy machine.
std::vector<pid_t> start_spinners(std::size_t count) {
  std::vector<pid_t> children;
  for (std::size_t i = 0; i < count; ++i) {
    const pid_t child = fork();
    if (child == 0) {
      volatile unsigned long counter = 0;
      for (;;) counter = counter + 1;
    }
    if (child < 0) throw Error("bench_busy_machine: fork failed: " + std::string(std::strerror(errno)));
    children.push_back(child);
  }
  return children;
}
void stop(const std::vector<pid_t>& children) {
  for (const pid_t child : children) kill(child, SIGKILL);
  for (const pid_t child : children) waitpid(child, nullptr, 0);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t busy = 1, epochs = 3;
  std::string directory = io::default_data_directory;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 < argc && flag == "--busy") busy = std::stoul(argv[++i]);
    else if (i + 1 < argc && flag == "--epochs") epochs = std::stoul(argv[++i]);
    else if (i + 1 < argc && flag == "--data") directory = argv[++i];
    else {
      std::fprintf(stderr, "usage: bench_busy_machine [--busy N] [--epochs N] [--data DIR]\n");
      return 2;
    }
  }
  try {
    const std::vector<pid_t> none;
    const Dataset train = io::load_idx(directory).train;
    const std::size_t threads = default_thread_count();
    std::printf("seed network, one epoch of %zu images at batch 200; %zu hardware threads, default count %zu; "
                "medians of %zu epochs\n",
                train.count, std::size_t(std::thread::hardware_concurrency()), threads, epochs);
    const double quiet_one = median_epoch(train, 1, false, epochs);
    const double quiet_default = median_epoch(train, threads, true, epochs);
    std::vector<pid_t> spinners = start_spinners(busy);
    const double busy_adapting = median_epoch(train, threads, true, epochs);
    const double busy_fixed = median_epoch(train, threads, false, epochs);
    stop(spinners);
    std::printf("| run | epoch | / quiet 1-thread epoch |\n|---|---|---|\n");
    std::printf("| quiet, 1 thread | %.3f s | 1.00 |\n", quiet_one);
    std::printf("| quiet, %zu threads (adapting) | %.3f s | %.2f |\n", threads, quiet_default, quiet_default / quiet_one);
    std::printf("| %zu busy process%s, %zu threads adapting (default) | %.3f s | %.2f |\n", busy, busy == 1 ? "" : "es",
                threads, busy_adapting, busy_adapting / quiet_one);
    std::printf("| %zu busy process%s, %zu threads fixed | %.3f s | %.2f |\n", busy, busy == 1 ? "" : "es", threads,
                busy_fixed, busy_fixed / quiet_one);
  } catch (const Error& error) {
    std::fprintf(stderr, "bench_busy_machine: %s\n", error.what());
    return 1;
  }
}
