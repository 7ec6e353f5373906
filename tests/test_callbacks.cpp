// Callbacks decide as Keras does: scripted sequences of epoch metrics against decisions worked out
// by hand from Keras's rules; then the callbacks inside fit() on both backends.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include <fstream>
#include <iterator>

#include "parameter_bits.hpp"
#include "temp_dir.hpp"
#include "test_data.hpp"

using namespace ctnn;
using Catch::Detail::Approx;

namespace {
EpochLogs validation_logs(std::size_t epoch, double val_loss, double val_accuracy) {
  EpochLogs logs;
  logs.epoch = epoch;
  logs.val_loss = val_loss;
  logs.val_accuracy = val_accuracy;
  return logs;
}
// should_stop for each value of a monitored validation accuracy (or loss), in turn.
std::vector<bool> stops(EarlyStopping options, const std::vector<double>& values) {
  EarlyStopping::State state(options);
  std::vector<bool> decisions;
  bool improved = false;
  for (std::size_t e = 0; e < values.size(); ++e)
    decisions.push_back(state.should_stop(validation_logs(e, values[e], values[e]), improved));
  return decisions;
}
std::vector<float> rates(ReduceLROnPlateau options, const std::vector<double>& val_losses, float rate) {
  ReduceLROnPlateau::State state(options);
  std::vector<float> result;
  for (std::size_t e = 0; e < val_losses.size(); ++e) {
    rate = state.next_learning_rate(validation_logs(e, val_losses[e], 0.0), rate);
    result.push_back(rate);
  }
  return result;
}
}  // namespace

TEST_CASE("EarlyStopping with patience 2 on val_accuracy stops after two epochs without improvement") {
  // 0.80 best, 0.82 best, 0.81 (wait 1), 0.82 (not above 0.82: wait 2, stop).
  CHECK(stops({.monitor = "val_accuracy", .patience = 2}, {0.80, 0.82, 0.81, 0.82, 0.90}) ==
        std::vector<bool>{false, false, false, true, false});
  // An improvement resets the wait.
  CHECK(stops({.monitor = "val_accuracy", .patience = 2}, {0.80, 0.79, 0.81, 0.80, 0.79}) ==
        std::vector<bool>{false, false, false, false, true});
}

TEST_CASE("EarlyStopping on val_loss minimises, and min_delta is the least improvement that counts") {
  // min_delta 0.01: 0.995 is not an improvement on 1.0; 0.98 is.
  CHECK(stops({.monitor = "val_loss", .min_delta = 0.01, .patience = 2}, {1.0, 0.995, 0.98, 0.975, 0.972}) ==
        std::vector<bool>{false, false, false, false, true});
  // patience 0: the first epoch without improvement stops, never the first epoch.
  CHECK(stops({.monitor = "val_loss", .patience = 0}, {1.0, 1.1}) == std::vector<bool>{false, true});
  // mode max on a loss (nonsense, but Keras obeys): rising values improve.
  CHECK(stops({.monitor = "val_loss", .patience = 1, .mode = Mode::max}, {1.0, 1.1, 1.05}) ==
        std::vector<bool>{false, false, true});
}

TEST_CASE("ReduceLROnPlateau multiplies the rate by factor after patience epochs without improvement") {
  const ReduceLROnPlateau two{.factor = 0.1, .patience = 2};
  // 1.0 best, 0.9 best, 0.95 (wait 1), 0.93 (wait 2: 0.01 -> 0.001), 0.92 (wait 1), 0.91 (wait 2: -> 0.0001).
  const std::vector<float> expected{0.01f, 0.01f, 0.01f, 0.001f, 0.001f, 0.0001f};
  const std::vector<float> got = rates(two, {1.0, 0.9, 0.95, 0.93, 0.92, 0.91}, 0.01f);
  REQUIRE(got.size() == expected.size());
  for (std::size_t e = 0; e < got.size(); ++e) CHECK(got[e] == Approx(expected[e]));
  // Never below min_lr, and once there it stays.
  const std::vector<float> floor = rates({.factor = 0.1, .patience = 1, .min_lr = 0.0005}, {1.0, 1.0, 1.0, 1.0}, 0.01f);
  CHECK(floor[1] == Approx(0.001f));
  CHECK(floor[2] == Approx(0.0005f));
  CHECK(floor[3] == Approx(0.0005f));
  // Cooldown 2 (Keras counts it down at the start of each epoch's decision): e1 reduces and starts
  // the cooldown at 2; e2 counts it to 1 and waits; e3 counts it to 0, so the wait counts again: it
  // reaches patience 1 and reduces; e4 waits; e5 reduces.
  const std::vector<float> cooled = rates({.factor = 0.5, .patience = 1, .cooldown = 2}, {1.0, 1.0, 1.0, 1.0, 1.0, 1.0}, 1.0f);
  CHECK(cooled == std::vector<float>{1.0f, 0.5f, 0.5f, 0.25f, 0.25f, 0.125f});
  CHECK_THROWS_WITH(ReduceLROnPlateau::State({.factor = 1.5}), Catch::Matchers::Contains("factor must be in [0, 1)"));
}

TEST_CASE("ModelCheckpoint with save_best_only saves on strict improvements only") {
  ModelCheckpoint::State state({.path = "unused", .monitor = "val_accuracy", .save_best_only = true});
  const double accuracies[] = {0.5, 0.6, 0.6, 0.55, 0.7};
  std::vector<bool> saves;
  for (std::size_t e = 0; e < 5; ++e) saves.push_back(state.should_save(validation_logs(e, 0.0, accuracies[e])));
  CHECK(saves == std::vector<bool>{true, true, false, false, true});
  ModelCheckpoint::State every({.path = "unused"});
  CHECK(every.should_save(validation_logs(0, 1.0, 0.0)));
  CHECK(every.should_save(validation_logs(1, 2.0, 0.0)));
}

TEST_CASE("a monitor that needs validation data says so") {
  EarlyStopping::State state({.monitor = "val_accuracy"});
  bool improved = false;
  CHECK_THROWS_WITH(state.should_stop(EpochLogs{}, improved), Catch::Matchers::Contains("needs validation data"));
  CHECK_THROWS_WITH(EpochLogs{}.get("val_acc"), Catch::Matchers::Contains("unknown monitor 'val_acc'"));
}

TEST_CASE("callbacks inside fit: schedule, early stop with the best weights restored, best checkpoint, validation split") {
  using Small = Net<Dense<20, 16, ReLU>, Softmax<4>>;
  const testing::Batch batch = testing::random_batch(500, 20, 4, 3);  // random labels: validation accuracy wanders
  testing::TempDir dir;
  Model<Small> model{Seed{1}};
  FitOptions options{.epochs = 12, .optimizer = SGD{.learning_rate = 0.4f}, .validation_split = 0.2, .seed = 2, .verbose = false};
  options.callbacks = {LearningRateScheduler{[](std::size_t epoch, float rate) { return epoch == 0 ? rate : rate * 0.9f; }},
                       ModelCheckpoint{.path = dir / "best.ctnn", .monitor = "val_accuracy", .save_best_only = true},
                       EarlyStopping{.monitor = "val_accuracy", .patience = 2, .restore_best_weights = true}};
  const History history = fit<50>(model, batch.view(), options);

  REQUIRE(history.epochs() >= 3);
  REQUIRE(history.epochs() < 12);  // random labels: it does stop early
  CHECK(history.learning_rate[0] == Approx(0.4f));
  CHECK(history.learning_rate[2] == Approx(0.4f * 0.9f * 0.9f));
  // It stopped exactly when the rule says, at the first epoch that ends two epochs without a new best.
  std::size_t best = 0, stop_at = history.epochs();
  for (std::size_t e = 1; e < history.epochs() && stop_at == history.epochs(); ++e) {
    if (history.val_accuracy[e] > history.val_accuracy[best]) best = e;
    else if (e - best >= 2) stop_at = e + 1;
  }
  CHECK(stop_at == history.epochs());
  // The restored weights are the best epoch's, which the checkpoint also holds.
  Model<Small> checkpoint = io::load<Small>(dir / "best.ctnn");
  CHECK(testing::parameter_bits(checkpoint) == testing::parameter_bits(model));
  // The validation split is the last 100 rows, as Keras takes it.
  CHECK(evaluate(model, batch.view().slice(400, 500)).accuracy == Approx(history.val_accuracy[best]));

  engine::Network network{Small::spec(), Seed{1}};
  const History engine_history = fit<50>(network, batch.view(), options);
  CHECK(engine_history.val_accuracy == history.val_accuracy);
  CHECK(engine_history.learning_rate == history.learning_rate);
}

TEST_CASE("fit refuses a validation split outside [0, 1) and both a split and validation data") {
  using Small = Net<Dense<20, 16, ReLU>, Softmax<4>>;
  const testing::Batch batch = testing::random_batch(100, 20, 4, 3);
  Model<Small> model{Seed{1}};
  CHECK_THROWS_WITH(fit<10>(model, batch.view(), {.validation_split = 1.0, .verbose = false}),
                    Catch::Matchers::Contains("validation_split must be in [0, 1)"));
  CHECK_THROWS_WITH(fit<10>(model, batch.view(), {.validation = batch.view(), .validation_split = 0.1, .verbose = false}),
                    Catch::Matchers::Contains("not both"));
}

TEST_CASE("CSVLogger writes the history so far after every epoch, whole") {
  using Small = Net<Dense<20, 16, ReLU>, Softmax<4>>;
  const testing::Batch batch = testing::random_batch(200, 20, 4, 5);
  testing::TempDir dir;
  const std::filesystem::path path = dir / "history.csv";
  // Read at the start of each epoch (the scheduler runs first): the rows of the epochs before it.
  std::vector<std::size_t> rows_seen;
  const auto count_rows = [&] {
    std::ifstream file(path);
    std::size_t lines = 0;
    for (std::string line; std::getline(file, line);) ++lines;
    return lines == 0 ? 0 : lines - 1;  // the header
  };
  FitOptions options{.epochs = 4, .validation_split = 0.25, .seed = 2, .verbose = false};
  options.callbacks = {LearningRateScheduler{[&](std::size_t, float rate) {
                         rows_seen.push_back(count_rows());
                         return rate;
                       }},
                       CSVLogger{path}};
  Model<Small> model{Seed{1}};
  const History history = fit<50>(model, batch.view(), options);
  CHECK(rows_seen == std::vector<std::size_t>{0, 1, 2, 3});
  std::ifstream file(path);
  const std::string written{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  CHECK(written == to_csv(history));
  CHECK_THAT(written, Catch::StartsWith("epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds\n0,"));
}

TEST_CASE("ModelCheckpoint and EarlyStopping say what they do, as Keras's verbose callbacks; History knows the best epoch") {
  using Small = Net<Dense<20, 16, ReLU>, Softmax<4>>;
  const testing::Batch batch = testing::random_batch(500, 20, 4, 3);
  testing::TempDir dir;
  const std::filesystem::path log_path = dir / "log.txt", best = dir / "best.ctnn";
  std::FILE* log = std::fopen(log_path.c_str(), "w");
  REQUIRE(log);
  FitOptions options{.epochs = 12, .optimizer = SGD{.learning_rate = 0.4f}, .validation_split = 0.2, .seed = 2, .log = log};
  options.callbacks = {ModelCheckpoint{.path = best, .monitor = "val_loss", .save_best_only = true},
                       EarlyStopping{.monitor = "val_accuracy", .patience = 2, .restore_best_weights = true}};
  Model<Small> model{Seed{1}};
  const History history = fit<50>(model, batch.view(), options);
  std::fclose(log);
  std::ifstream file(log_path);
  const std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};

  // The best epochs by Keras's rule, worked out here from the history: the smallest val_loss, the largest val_accuracy.
  std::size_t best_loss = 0, best_accuracy = 0;
  for (std::size_t e = 1; e < history.epochs(); ++e) {
    if (history.val_loss[e] < history.val_loss[best_loss]) best_loss = e;
    if (history.val_accuracy[e] > history.val_accuracy[best_accuracy]) best_accuracy = e;
  }
  CHECK(history.best_epoch("val_loss") == best_loss);
  CHECK(history.best_epoch() == best_loss);
  CHECK(history.best_epoch("val_accuracy") == best_accuracy);
  CHECK(history.best_epoch("val_acc") == history.epochs());  // not a series: no best epoch

  char first[128];
  std::snprintf(first, sizeof first, "Epoch 1: val_loss improved from inf to %.5f, saving model to %s\n", history.val_loss[0],
                best.c_str());
  CHECK_THAT(text, Catch::Contains(first));
  CHECK_THAT(text, Catch::Contains("did not improve from"));
  CHECK_THAT(text, Catch::Contains("Restoring model weights from the end of the best epoch: " +
                                   std::to_string(best_accuracy + 1) + ".\nEpoch " + std::to_string(history.epochs()) +
                                   ": early stopping\n"));

  // verbose = false on the callbacks: fit's epoch lines only.
  std::FILE* quiet_log = std::fopen(log_path.c_str(), "w");
  options.log = quiet_log;
  options.callbacks = {ModelCheckpoint{.path = best, .save_best_only = true, .verbose = false},
                       EarlyStopping{.monitor = "val_accuracy", .patience = 2, .restore_best_weights = true, .verbose = false}};
  Model<Small> quiet{Seed{1}};
  fit<50>(quiet, batch.view(), options);
  std::fclose(quiet_log);
  std::ifstream quiet_file(log_path);
  const std::string quiet_text{std::istreambuf_iterator<char>(quiet_file), std::istreambuf_iterator<char>()};
  CHECK_THAT(quiet_text, !Catch::Contains("saving model") && !Catch::Contains("early stopping"));
}

TEST_CASE("argmax and predict_classes: the first most probable class of each row") {
  const std::vector<float> probabilities{0.1f, 0.7f, 0.2f, /**/ 0.5f, 0.5f, 0.0f, /**/ 0.0f, 0.0f, 1.0f};
  CHECK(argmax(probabilities, 3) == std::vector<std::size_t>{1, 0, 2});
  using Small = Net<Dense<20, 16, ReLU>, Softmax<4>>;
  const testing::Batch batch = testing::random_batch(37, 20, 4, 9);
  Model<Small> model{Seed{1}};
  const std::vector<std::size_t> classes = predict_classes(model, batch.view());
  REQUIRE(classes.size() == 37);
  for (std::size_t r = 0; r < 37; ++r) {
    float p[4];
    model.predict(batch.view().sample(r), p);
    CHECK(classes[r] == std::size_t(std::max_element(p, p + 4) - p));
  }
}

TEST_CASE("the epoch line shows the learning rate while a callback sets it, as Keras's does") {
  using Small = Net<Dense<20, 16, ReLU>, Softmax<4>>;
  const testing::Batch batch = testing::random_batch(100, 20, 4, 3);
  testing::TempDir dir;
  const auto log_of = [&](std::vector<Callback> callbacks) {
    const std::filesystem::path path = dir / "log.txt";
    std::FILE* log = std::fopen(path.c_str(), "w");
    REQUIRE(log);
    FitOptions options{.epochs = 2, .optimizer = SGD{.learning_rate = 0.5f}, .seed = 2, .log = log};
    options.callbacks = std::move(callbacks);
    Model<Small> model{Seed{1}};
    fit<50>(model, batch.view(), options);
    std::fclose(log);
    std::ifstream file(path);
    return std::string{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  };
  const std::string scheduled =
      log_of({LearningRateScheduler{[](std::size_t epoch, float rate) { return epoch == 0 ? rate : 1e-4f; }}});
  CHECK_THAT(scheduled, Catch::Matches("Epoch 1/2 - [^\n]* - accuracy: [0-9.]+ - learning_rate: 0\\.5000\n"
                                       "Epoch 2/2 - [^\n]* - accuracy: [0-9.]+ - learning_rate: 1\\.0000e-04\n"));
  CHECK_THAT(log_of({}), !Catch::Contains("learning_rate"));
}
