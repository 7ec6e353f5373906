// BackupAndRestore: a fit interrupted at an epoch's end or inside an epoch resumes from its backup and
// ends with the weights and history of a run that was never interrupted, bit for bit, on both
// backends; a backup of another run, or a damaged one, is refused with the reason.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include <bit>
#include <fstream>
#include <iterator>

#include "parameter_bits.hpp"
#include "temp_dir.hpp"
#include "test_data.hpp"

using namespace ctnn;

namespace {
// Batch normalisation, dropout and Adam: every kind of state a step carries over from the one before.
using Resumable = Net<Dense<20, 24>, BatchNorm<>, Activation<ReLU>, Dropout<0.3>, Dense<24, 4>, Softmax<4>>;
constexpr std::size_t batch_size = 20;

// The history's bits, wall times aside.
std::vector<std::uint64_t> history_bits(const History& history) {
  std::vector<std::uint64_t> bits;
  for (const auto* series : {&history.loss, &history.accuracy, &history.val_loss, &history.val_accuracy, &history.learning_rate}) {
    bits.push_back(series->size());
    for (const double value : *series) bits.push_back(std::bit_cast<std::uint64_t>(value));
  }
  return bits;
}

struct Interrupted {};

// A run with every stateful callback; `fail_at_epoch` makes the scheduler throw when that epoch
// (from 0) starts, as a crash would end the run there. `log` (a CSVLogger's file) makes the epoch's
// end fail while its folder is missing: the backup then holds the state of a batch inside the epoch.
struct Run {
  std::filesystem::path backup_dir, log;
  std::size_t save_freq = 0;
  std::size_t fail_at_epoch = 99;
  std::size_t* epochs_started = nullptr;

  FitOptions options() const {
    FitOptions options{.epochs = 6, .optimizer = Adam{.learning_rate = 0.02f}, .validation_split = 0.25, .seed = 9, .verbose = false};
    options.callbacks = {LearningRateScheduler{[fail = fail_at_epoch, started = epochs_started](std::size_t epoch, float rate) {
                           if (started) ++*started;
                           if (epoch == fail) throw Interrupted{};
                           return epoch == 2 ? rate * 0.5f : rate;
                         }},
                         ReduceLROnPlateau{.monitor = "val_loss", .factor = 0.5, .patience = 1},
                         EarlyStopping{.monitor = "val_accuracy", .patience = 5, .restore_best_weights = true},
                         CSVLogger{log},
                         BackupAndRestore{.backup_dir = backup_dir, .save_freq = save_freq}};
    return options;
  }
};

const testing::Batch& data() {
  static const testing::Batch batch = testing::random_batch(400, 20, 4, 31);  // 20 batches of 20 per epoch
  return batch;
}

template <class MakeModel>
void check_resumes_bit_for_bit(MakeModel make_model) {
  testing::TempDir dir;
  auto reference = make_model();
  const History expected = fit<batch_size>(reference, data().view(), Run{dir / "reference", dir / "reference.csv"}.options());

  SECTION("interrupted when an epoch starts") {
    auto model = make_model();
    const Run crashing{dir / "backup", dir / "history.csv", 0, 3};
    CHECK_THROWS_AS(fit<batch_size>(model, data().view(), crashing.options()), Interrupted);
    REQUIRE(std::filesystem::exists(dir / "backup" / "training_state.ctnnbak"));
    CHECK(read_training_state(dir / "backup" / "training_state.ctnnbak").epoch == 4);  // epochs 1 to 3 done

    auto resumed_model = make_model();  // fresh weights: all come from the backup
    std::size_t started = 0;
    const History resumed =
        fit<batch_size>(resumed_model, data().view(), Run{dir / "backup", dir / "history.csv", 0, 99, &started}.options());
    CHECK(started == 3);  // epochs 4 to 6 only
    CHECK(history_bits(resumed) == history_bits(expected));
    CHECK(testing::parameter_bits(resumed_model) == testing::parameter_bits(reference));
    CHECK_FALSE(std::filesystem::exists(dir / "backup" / "training_state.ctnnbak"));  // deleted at the end
  }
  SECTION("interrupted inside an epoch") {
    auto model = make_model();
    // Every 4 updates; the first epoch's end cannot write its log: the backup is that of update 12.
    CHECK_THROWS(fit<batch_size>(model, data().view(), Run{dir / "backup", dir / "missing" / "history.csv", 4}.options()));
    const TrainingState state = read_training_state(dir / "backup" / "training_state.ctnnbak");
    CHECK(state.epoch == 1);
    CHECK(state.batches_done == 12);
    CHECK(state.iteration == 12);
    std::filesystem::create_directories(dir / "missing");
    auto resumed_model = make_model();
    const History resumed =
        fit<batch_size>(resumed_model, data().view(), Run{dir / "backup", dir / "missing" / "history.csv", 4}.options());
    CHECK(history_bits(resumed) == history_bits(expected));
    CHECK(testing::parameter_bits(resumed_model) == testing::parameter_bits(reference));
  }
}
}  // namespace

TEST_CASE("a fit interrupted between epochs or inside one resumes from its backup bit for bit (generated backend)") {
  check_resumes_bit_for_bit([] { return Model<Resumable>{Seed{1}}; });
}

TEST_CASE("a fit interrupted between epochs or inside one resumes from its backup bit for bit (engine)") {
  check_resumes_bit_for_bit([] { return engine::Network{Resumable::spec(), Seed{1}}; });
}

TEST_CASE("a kept backup of a finished run gives its weights and history without training") {
  testing::TempDir dir;
  Model<Resumable> model{Seed{1}};
  FitOptions options{.epochs = 2, .optimizer = Adam{}, .seed = 4, .verbose = false};
  options.callbacks = {BackupAndRestore{.backup_dir = dir / "backup", .delete_checkpoint = false}};
  const History trained = fit<batch_size>(model, data().view(), options);
  REQUIRE(read_training_state(dir / "backup" / "training_state.ctnnbak").finished);
  Model<Resumable> fresh{Seed{2}};
  const History again = fit<batch_size>(fresh, data().view(), options);
  CHECK(history_bits(again) == history_bits(trained));
  CHECK(testing::parameter_bits(fresh) == testing::parameter_bits(model));
}

TEST_CASE("a backup of another run, of another network or damaged is refused with the reason") {
  testing::TempDir dir;
  const auto path = dir / "backup" / "training_state.ctnnbak";
  FitOptions options{.epochs = 3, .optimizer = Adam{}, .seed = 4, .verbose = false};
  options.callbacks = {BackupAndRestore{.backup_dir = dir / "backup", .delete_checkpoint = false}};
  Model<Resumable> trained{Seed{1}};
  fit<batch_size>(trained, data().view(), options);
  // A trained model continues its training (a "continues" line in the run's settings), so the backup is
  // not its own: refused. The other checks resume, as a restarted program does, on a new model.
  CHECK_THROWS_WITH(fit<batch_size>(trained, data().view(), options),
                    Catch::Matchers::Contains("this run has \"continues: 3 epochs, 60 updates\""));
  Model<Resumable> model{Seed{1}};

  CHECK_THROWS_WITH(fit<10>(model, data().view(), options),
                    Catch::Matchers::Contains("training_state.ctnnbak: this backup belongs to another training run") &&
                        Catch::Matchers::Contains("\"batch size: 20\", this run has \"batch size: 10\""));
  FitOptions other_optimizer = options;
  other_optimizer.optimizer = RMSprop{};
  CHECK_THROWS_WITH(fit<batch_size>(model, data().view(), other_optimizer),
                    Catch::Matchers::Contains("optimizer: Adam(learning_rate=0.00100000005"));
  using Other = Net<Dense<20, 8, ReLU>, Softmax<4>>;
  Model<Other> other{Seed{1}};
  CHECK_THROWS_WITH(fit<batch_size>(other, data().view(), options), Catch::Matchers::Contains("another architecture"));

  // Counters that passed the checksum but cannot belong to this run (a hand-made file) are refused,
  // not replayed: a shuffle per claimed epoch would run for ever.
  const TrainingState written = read_training_state(path);
  TrainingState far = written;
  far.epoch = std::uint64_t{1} << 60;
  io::write_file_atomically(path, training_state_bytes(far));
  CHECK_THROWS_WITH(fit<batch_size>(model, data().view(), options),
                    Catch::Matchers::Contains("the backup is at epoch 1152921504606846976, past this run's 3 epochs"));
  TrainingState impossible = written;
  impossible.epoch = 2, impossible.batches_done = 20;  // 20 rows a batch: 20 batches an epoch
  io::write_file_atomically(path, training_state_bytes(impossible));
  CHECK_THROWS_WITH(fit<batch_size>(model, data().view(), options),
                    Catch::Matchers::Contains("corrupted: its counters (epoch 2, batch 20 of 20"));
  io::write_file_atomically(path, training_state_bytes(written));

  std::string bytes;
  {
    std::ifstream file(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(file), {});
  }
  const auto write = [&](const std::string& content) { std::ofstream(path, std::ios::binary) << content; };
  std::string damaged = bytes;
  damaged[bytes.size() / 2] ^= 0x10;
  write(damaged);
  CHECK_THROWS_WITH(fit<batch_size>(model, data().view(), options),
                    Catch::Matchers::Contains("training_state.ctnnbak: corrupted: the checksum does not match"));
  write(bytes.substr(0, 30));
  CHECK_THROWS_WITH(fit<batch_size>(model, data().view(), options), Catch::Matchers::Contains("training_state.ctnnbak"));
  write("not a backup at all");
  CHECK_THROWS_WITH(fit<batch_size>(model, data().view(), options),
                    Catch::Matchers::Contains("not a ctnn training state"));
}

TEST_CASE("the training state round-trips through its bytes") {
  TrainingState state;
  state.run = "batch size: 7\n";
  state.epoch = 3, state.batches_done = 5, state.iteration = 42, state.finished = true;
  state.learning_rate = 0.125f, state.loss_sum = 1.0 / 3.0, state.correct = 11, state.seen = 35;
  state.history.loss = {0.5, 0.25};
  state.history.learning_rate = {0.125, 0.125};
  state.callbacks = {{0.75, 2, 1}, {}};
  state.weights = io::snapshot(Model<Resumable>{Seed{1}});
  state.best_weights = io::snapshot(Model<Resumable>{Seed{2}});
  state.optimizer_state = {1.0f, -2.0f, 3.5f};
  testing::TempDir dir;
  io::write_file_atomically(dir / "state", training_state_bytes(state));
  const TrainingState read = read_training_state(dir / "state");
  CHECK(read.run == state.run);
  CHECK((read.epoch == 3 && read.batches_done == 5 && read.iteration == 42 && read.finished));
  CHECK((read.learning_rate == 0.125f && read.loss_sum == 1.0 / 3.0 && read.correct == 11 && read.seen == 35));
  CHECK(read.history.loss == state.history.loss);
  CHECK(read.history.learning_rate == state.history.learning_rate);
  CHECK(read.history.val_loss.empty());
  REQUIRE(read.callbacks.size() == 2);
  CHECK((read.callbacks[0].best == 0.75 && read.callbacks[0].wait == 2 && read.callbacks[0].cooldown_left == 1));
  CHECK(read.weights.parameters == state.weights.parameters);
  REQUIRE(read.best_weights);
  CHECK(read.best_weights->parameters == state.best_weights->parameters);
  CHECK(read.optimizer_state == state.optimizer_state);
}
