// fit(): mini-batch training of a Model with Keras's behaviour: shuffle every epoch, report
// the running loss and accuracy, evaluate on validation data after each epoch.
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "../codegen/batch_result.hpp"
#include "../codegen/optimizer_update.hpp"
#include "../codegen/process_share.hpp"
#include "../dsl/dataset.hpp"
#include "../dsl/losses.hpp"
#include "../dsl/optimizers.hpp"
#include "../io/model_file.hpp"
#include "../net/training_step.hpp"
#include "backend.hpp"
#include "callbacks.hpp"
#include "data_checks.hpp"
#include "evaluate.hpp"
#include "history.hpp"

namespace ctnn {

// Sees, and may change, a step's gradients between its backward pass and its update: every gradient
// in the parameters' flat layout (TrainingStep::parameters(); padding included, and zero).
using GradientExchange = std::function<void(std::span<float> gradients)>;

struct FitOptions {
  std::size_t epochs = 1;
  Optimizer optimizer = SGD{};  // SGD, RMSprop or Adam, Keras's defaults
  Loss loss = SparseCategoricalCrossentropy{};  // minimised, and reported as loss and val_loss
  DatasetView validation{};   // evaluated after every epoch when not empty
  double validation_split = 0.0;  // or: this fraction of `data`, its last rows (as Keras), held out for validation
  std::vector<Callback> callbacks{};
  // Rows per update: 0 for fit<Batch>'s Batch, or fewer (the training step is planned for Batch rows at
  // most). Validation runs in batches of this size too (it matters only to activity penalties).
  std::size_t batch_size = 0;
  bool shuffle = true;
  std::uint64_t seed = 0;     // of the shuffling and the dropout masks; the same seed gives the same run
  std::size_t threads = 0;    // 0: the model's setting (CTNN_NUM_THREADS, else all hardware threads)
  bool adapt_threads = true;  // use fewer threads while they are measured to be faster (a busy machine); same results
  // Runs each step in phases (forward and backward, then this, then the update) so that data-parallel
  // training can sum the gradients of several processes; empty: the update is fused into the backward
  // pass, the fast path. Both give the same numbers when it changes nothing.
  GradientExchange gradient_exchange{};
  // Data-parallel training over processes (distributed/mpi.hpp's world(), for one): each computes its
  // share of every batch and the step ends with the weights one process would have, bit for bit. Every
  // process must call fit with the same model, data and options, or each with its shard of the
  // training data (io::read_idx with its ProcessShare; each batch then gathers its rows from their
  // holders); only process 0 prints and writes files (checkpoints, backups, logs). nullptr: this
  // process alone.
  Collective* collective = nullptr;
  bool verbose = true;        // progress and one line per epoch
  std::FILE* log = stdout;
};

namespace detail {

// Says once that the program was compiled without optimisation (-O0, a CMake build with no build
// type): its training runs tens of times slower than it would. Inline, and called from fit(), so that
// it sees how the user's program was compiled, not the library.
inline void warn_if_unoptimized() {
#ifndef __OPTIMIZE__
  static std::atomic<bool> warned{false};
  if (!warned.exchange(true))
    std::fputs("ctnn: this program was compiled without optimisation (-O0, or CMake without a build type), so "
               "training runs tens of times slower; build with -O2 or -O3 (CMAKE_BUILD_TYPE=Release)\n",
               stderr);
#endif
}

// What the training loop asks of a model and its training step. The loop (run_fit) is the same for
// every network and batch size, so it is compiled once, in the library, and reaches the model's
// generated code through these calls: a few per batch, next to a batch's forward and backward pass.
class FitTarget {
 public:
  virtual void check_fits(const DatasetView& data, const char* role) const = 0;
  virtual std::size_t threads() const = 0;
  virtual void set_threads(std::size_t count) = 0;
  virtual std::size_t batch_size() const = 0;
  // What earlier fits of the model left; the loop continues from it and updates it.
  virtual TrainingProgress& progress() = 0;
  // Before the first batch: the loss to minimise, zero optimiser state, the dropout masks' seed and
  // how many steps were done already (by earlier fits, and before a backup when a run resumes).
  virtual void start(const Loss& loss, std::uint64_t seed, std::uint64_t steps_done) = 0;
  virtual std::span<float> optimizer_state() = 0;
  virtual std::span<const float> parameters() = 0;
  // One update from the samples `rows` of `data`; iteration counts the updates, this one included.
  // With an exchange, the step runs in phases and the exchange sits between backward and update.
  virtual BatchResult train_batch(const DatasetView& data, std::span<const std::uint32_t> rows,
                                  const Optimizer& optimizer, std::uint64_t iteration,
                                  const GradientExchange& exchange) = 0;
  virtual Evaluation evaluate(const DatasetView& data, const Loss& loss, std::size_t batch_size) = 0;
  virtual io::ModelFile snapshot() const = 0;
  virtual void restore(const io::ModelFile& weights, const std::string& source) = 0;
  virtual void save(const std::filesystem::path& path) const = 0;

 protected:
  ~FitTarget() = default;
};

// The training loop shared by every backend and batch size.
History run_fit(FitTarget& target, const DatasetView& data, const FitOptions& options);

template <Backend M, BackendTrainingStep Step>
class FitTargetOf final : public FitTarget {
 public:
  FitTargetOf(M& model, Step& step, Collective* collective) : model_(model), step_(step), collective_(collective) {
    step_.share_work(collective);
  }
  ~FitTargetOf() { step_.share_work(nullptr); }

  void check_fits(const DatasetView& data, const char* role) const override { ctnn::check_fits(model_, data, role); }
  std::size_t threads() const override { return model_.threads(); }
  void set_threads(std::size_t count) override { model_.set_threads(count); }
  std::size_t batch_size() const override { return step_.batch_size(); }
  TrainingProgress& progress() override { return model_.training_progress(); }
  void start(const Loss& loss, std::uint64_t seed, std::uint64_t steps_done) override {
    step_.set_loss(loss);
    std::ranges::fill(step_.optimizer_state(), 0.0f);
    step_.seed_dropout(seed, steps_done);
  }
  std::span<float> optimizer_state() override { return step_.optimizer_state(); }
  std::span<const float> parameters() override { return step_.parameters(); }
  BatchResult train_batch(const DatasetView& data, std::span<const std::uint32_t> rows, const Optimizer& optimizer,
                          std::uint64_t iteration, const GradientExchange& exchange) override {
    step_.load_batch(data.images, data.labels, rows);
    // Built here, not in the library: its SIMD registers are those of the program's instruction set.
    const OptimizerUpdate update(optimizer, iteration, step_.optimizer_state_stride());
    if (!exchange && !collective_) return step_.train_batch(rows.size(), update);
    BatchResult result = step_.train_batch(rows.size(), update, /*store_gradients=*/true);
    if (!std::isfinite(result.loss())) return result;  // nothing is updated (fit stops)
    step_.gather_gradients();
    if (exchange) exchange(step_.gradients());
    result.finite_gradients = step_.apply_update(update);
    return result;
  }
  Evaluation evaluate(const DatasetView& data, const Loss& loss, std::size_t batch_size) override {
    return evaluate_checked(model_, data, loss, batch_size, collective_);
  }
  io::ModelFile snapshot() const override { return io::snapshot(model_); }
  void restore(const io::ModelFile& weights, const std::string& source) override {
    io::assign_parameters(model_, weights, source);
  }
  void save(const std::filesystem::path& path) const override { io::save(model_, path); }

 private:
  M& model_;
  Step& step_;
  Collective* collective_;
};

// fit() with a training step already made (the engine's, of a batch size chosen at run time).
template <Backend M, BackendTrainingStep Step>
History fit_with_step(M& model, Step& step, const DatasetView& data, const FitOptions& options) {
  warn_if_unoptimized();
  FitTargetOf<M, Step> target(model, step, options.collective);
  return run_fit(target, data, options);
}

}  // namespace detail

// Trains `model` (a Model<Net> or an engine::Network) on `data` in mini-batches of Batch samples
// (the last one may be smaller). Throws ctnn::Error if the data does not fit the network or the
// loss stops being finite. A second fit on the same model continues the first as Keras's does: the
// optimiser's state and step count (when its coefficients other than the learning rate are the same),
// the shuffling and the dropout masks go on, so fit(10 epochs) then fit(25) equals fit(35) bit for bit
// (model.training_progress() holds what carries over; model.initialize() forgets it).
template <std::size_t Batch = 32, Backend M>
History fit(M& model, const DatasetView& data, const FitOptions& options = {}) {
  static_assert(Batch > 0, "ctnn::fit<Batch>: the mini-batch size must be at least 1");
  auto step = training_step<Batch>(model);  // the backend's own, found by argument-dependent lookup
  return detail::fit_with_step(model, step, data, options);
}

}  // namespace ctnn
