// The examples' flags, compiled once for all of them.
#include "flags.hpp"

#include <optional>

namespace examples {

namespace {

std::vector<std::string_view> split_colons(std::string_view text) {
  std::vector<std::string_view> parts;
  for (std::size_t at = 0; at <= text.size();) {
    const std::size_t end = std::min(text.find(':', at), text.size());
    parts.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return parts;
}

bool is_monitor(std::string_view name) {
  return name == "loss" || name == "accuracy" || name == "val_loss" || name == "val_accuracy";
}

std::string_view check_monitor(std::string_view flag, std::string_view name) {
  if (!is_monitor(name))
    throw ctnn::Error(std::string(flag) + ": '" + std::string(name) + "' is not a monitor (loss, accuracy, val_loss, val_accuracy)");
  return name;
}

}  // namespace

std::string TrainingFlags::usage() const {
  char defaults[512];
  std::snprintf(defaults, sizeof defaults,
                "  --epochs N         passes over the training set (default %s)\n"
                "  --optimizer NAME   sgd, rmsprop or adam, with Keras's defaults (default %s)\n"
                "  --learning-rate X  the optimiser's learning rate (default %g)\n"
                "  --loss NAME        sparse_categorical_crossentropy (default), categorical_crossentropy[=smoothing]\n"
                "                     or mean_squared_error (mse), on the softmax probabilities\n",
                epochs_default.empty() ? std::to_string(epochs).c_str() : epochs_default.c_str(), optimizer.c_str(),
                double(ctnn::learning_rate_of(make_optimizer())));
  return std::string(defaults) +
         "  --data DATA        fashion-mnist (the default, /usr/share/datasets/fashion-mnist), mnist (the\n"
         "                     digits, after scripts/get-mnist.sh), a directory of MNIST-format IDX files,\n"
         "                     gzipped or not, or an .npz archive as Keras's mnist.npz\n"
         "  --seed N           seed of the initial weights, the shuffling and dropout (default 42)\n"
         "  --save FILE        write the trained model to FILE (a ctnn model file, for ctnn-export)\n"
         "  --report DIR       write a run folder for ctnn-plot: history (after each epoch), weights, test\n"
         "                     predictions, confusion matrix, sample and misclassified images\n"
         "  --backup DIR       keep the whole training state in DIR after each epoch; the same command run\n"
         "                     again after a crash or a kill resumes where it stopped, bit for bit\n"
         "  --backup-every N   also back up every N batches (with --backup)\n"
         "  --batch-size N     rows per update (at most the example's own batch size, for which it is compiled)\n"
         "  --momentum X       SGD's or RMSprop's momentum (default 0); --nesterov: Nesterov's (SGD)\n"
         "  --validation-split X  hold out the last fraction X of the training images for validation\n"
         "  --validation test|none  validate on the test set after each epoch, or not at all\n"
         "  --early-stopping MONITOR[:PATIENCE[:restore]]  Keras's EarlyStopping (e.g. val_accuracy:2:restore)\n"
         "  --checkpoint FILE[:MONITOR]  save the model after each epoch, or only when MONITOR improves\n"
         "  --reduce-lr MONITOR[:FACTOR[:PATIENCE]]  Keras's ReduceLROnPlateau (defaults 0.1 and 10)\n"
         "  --schedule E:RATE,...  from epoch E (counted from 1) on, train at RATE (e.g. 1:0.01,11:0.001)\n"
         "  --history FILE     write the history after training: FILE.csv (CSVLogger) or FILE.json\n"
         "  --mpi              train over the processes mpirun starts (mpirun -np 2 PROGRAM --mpi ...), with the\n"
         "                     weights one process would get; rank 0 prints and writes (needs -DCTNN_MPI=ON)\n"
         "  --shard            with --mpi: each process reads only its share of the training images, and every\n"
         "                     batch gathers its rows from the processes holding them (the same weights)\n";
}

ctnn::Optimizer TrainingFlags::make_optimizer() const {
  if ((momentum != 0.0f || nesterov) && optimizer == "adam")
    throw ctnn::Error("--momentum and --nesterov are SGD's (and --momentum RMSprop's), not Adam's");
  if (nesterov && optimizer != "sgd") throw ctnn::Error("--nesterov is SGD's");
  ctnn::Optimizer chosen = optimizer == "rmsprop" ? ctnn::Optimizer{ctnn::RMSprop{.momentum = momentum}}
                           : optimizer == "adam"  ? ctnn::Optimizer{ctnn::Adam{}}
                                                  : ctnn::Optimizer{ctnn::SGD{.momentum = momentum, .nesterov = nesterov}};
  if (learning_rate != 0.0f) ctnn::set_learning_rate(chosen, learning_rate);
  return chosen;
}

ctnn::FitOptions TrainingFlags::fit_options(const ctnn::DatasetView& own_validation, const ctnn::DatasetView& test,
                                            double own_split) const {
  ctnn::FitOptions options{.epochs = epochs, .optimizer = make_optimizer(), .loss = loss,
                           .validation = own_validation, .validation_split = own_split,
                           .callbacks = callbacks(), .batch_size = batch_size, .seed = seed};
  if (!validation.empty() || validation_split > 0.0) options.validation = {}, options.validation_split = 0.0;
  if (validation == "test") options.validation = test;
  if (validation_split > 0.0) options.validation_split = validation_split;
  if (early_stopping) options.callbacks.push_back(*early_stopping);
  if (checkpoint) options.callbacks.push_back(*checkpoint);
  if (reduce_lr) options.callbacks.push_back(*reduce_lr);
  if (!schedule.empty())
    options.callbacks.push_back(ctnn::LearningRateScheduler{[steps = schedule](std::size_t epoch, float rate) {
      for (const auto& [from, value] : steps)
        if (epoch + 1 >= from) rate = value;
      return rate;
    }});
  return options;
}

void TrainingFlags::write_history_if_asked(const ctnn::History& trained) const {
  if (history_file.empty()) return;
  if (history_file.ends_with(".json")) ctnn::save_json(trained, history_file);
  else ctnn::save_csv(trained, history_file);
  std::printf("wrote the history to %s\n", history_file.c_str());
}

std::string TrainingFlags::describe_optimizer() const {
  char text[160];
  const ctnn::Optimizer chosen = make_optimizer();
  const std::string momentum_text = momentum == 0.0f && !nesterov ? ""
                                    : " (momentum " + std::to_string(momentum).erase(std::to_string(momentum).find_last_not_of('0') + 1) +
                                          (nesterov ? ", Nesterov)" : ")");
  std::snprintf(text, sizeof text, "%s%s with learning rate %g, loss ", ctnn::optimizer_name(chosen),
                momentum_text.c_str(), double(ctnn::learning_rate_of(chosen)));
  return text + ctnn::loss_name(loss);
}

std::vector<ctnn::Callback> TrainingFlags::callbacks() const {
  std::vector<ctnn::Callback> chosen;
  if (!report.empty()) {
    std::error_code error;
    std::filesystem::create_directories(report, error);
    if (error) throw ctnn::Error(report + ": cannot create the run folder: " + error.message());
    chosen.push_back(ctnn::CSVLogger{std::filesystem::path(report) / "history.csv"});
  }
  if (!backup.empty()) chosen.push_back(ctnn::BackupAndRestore{.backup_dir = backup, .save_freq = backup_every});
  else if (backup_every != 0) throw ctnn::Error("--backup-every needs --backup DIR");
  return chosen;
}

bool TrainingFlags::take(std::string_view flag, const std::function<std::string_view()>& value) {
  if (flag == "--epochs") epochs = parse_number<std::size_t>(flag, value());
  else if (flag == "--optimizer") {
    optimizer = value();
    if (optimizer != "sgd" && optimizer != "rmsprop" && optimizer != "adam")
      throw ctnn::Error("--optimizer takes sgd, rmsprop or adam, not '" + optimizer + "'");
  }
  else if (flag == "--learning-rate") {
    const std::string_view text = value();
    learning_rate = parse_number<float>(flag, text);
    // Rates that train are near the defaults; one far above them only makes the loss diverge.
    if (!(learning_rate > 0.0f && learning_rate <= 10.0f))
      throw ctnn::Error("--learning-rate " + std::string(text) +
                        " is outside (0, 10]; rates that train are near the optimisers' defaults (sgd 0.01, "
                        "rmsprop and adam 0.001)");
  }
  else if (flag == "--loss") loss = ctnn::parse_loss(std::string(value()));
  else if (flag == "--data") data = ctnn::io::data_directory(value()).string();
  else if (flag == "--seed") seed = parse_number<std::uint64_t>(flag, value());
  else if (flag == "--save") save = value();
  else if (flag == "--report") report = value();
  else if (flag == "--backup") backup = value();
  else if (flag == "--backup-every") {
    backup_every = parse_number<std::size_t>(flag, value());
    if (backup_every == 0) throw ctnn::Error("--backup-every takes a number of batches of at least 1");
  }
  else if (flag == "--batch-size") {
    batch_size = parse_number<std::size_t>(flag, value());
    if (batch_size == 0) throw ctnn::Error("--batch-size takes a number of rows of at least 1");
  }
  else if (flag == "--momentum") {
    const std::string_view text = value();
    momentum = parse_number<float>(flag, text);
    if (!(momentum >= 0.0f && momentum < 1.0f)) throw ctnn::Error("--momentum " + std::string(text) + " is outside [0, 1)");
  }
  else if (flag == "--nesterov") nesterov = true;
  else if (flag == "--mpi") {}  // DistributedRun (distributed_run.hpp) has taken it
  else if (flag == "--shard") shard = true;
  else if (flag == "--validation") {
    validation = value();
    if (validation != "test" && validation != "none") throw ctnn::Error("--validation takes test or none, not '" + validation + "'");
  }
  else if (flag == "--validation-split") {
    const std::string_view text = value();
    validation_split = parse_number<double>(flag, text);
    if (!(validation_split > 0.0 && validation_split < 1.0))
      throw ctnn::Error("--validation-split " + std::string(text) + " is outside (0, 1)");
  }
  else if (flag == "--early-stopping") {
    const std::vector<std::string_view> parts = split_colons(value());
    if (parts.size() > 3 || (parts.size() == 3 && parts[2] != "restore"))
      throw ctnn::Error("--early-stopping takes MONITOR[:PATIENCE[:restore]], e.g. val_accuracy:2:restore");
    early_stopping = ctnn::EarlyStopping{.monitor = std::string(check_monitor(flag, parts[0])),
                                         .patience = parts.size() > 1 ? parse_number<std::size_t>(flag, parts[1]) : 0,
                                         .restore_best_weights = parts.size() == 3};
  }
  else if (flag == "--checkpoint") {
    const std::string_view text = value();
    const std::size_t colon = text.rfind(':');
    const bool monitored = colon != std::string_view::npos && is_monitor(text.substr(colon + 1));
    const std::string_view path = monitored ? text.substr(0, colon) : text;
    if (path.empty()) throw ctnn::Error("--checkpoint takes FILE[:MONITOR], e.g. best.ctnn:val_loss");
    checkpoint = ctnn::ModelCheckpoint{.path = std::string(path),
                                       .monitor = monitored ? std::string(text.substr(colon + 1)) : "val_loss",
                                       .save_best_only = monitored};
  }
  else if (flag == "--reduce-lr") {
    const std::vector<std::string_view> parts = split_colons(value());
    if (parts.size() > 3) throw ctnn::Error("--reduce-lr takes MONITOR[:FACTOR[:PATIENCE]], e.g. val_loss:0.5:3");
    reduce_lr = ctnn::ReduceLROnPlateau{.monitor = std::string(check_monitor(flag, parts[0]))};
    if (parts.size() > 1) reduce_lr->factor = parse_number<double>(flag, parts[1]);
    if (parts.size() > 2) reduce_lr->patience = parse_number<std::size_t>(flag, parts[2]);
    ctnn::ReduceLROnPlateau::State check(*reduce_lr);  // its coefficients' rules, now rather than after an epoch
  }
  else if (flag == "--schedule") {
    schedule.clear();
    const std::string_view text = value();
    for (std::size_t at = 0; at <= text.size();) {
      const std::size_t end = std::min(text.find(',', at), text.size());
      const std::vector<std::string_view> step = split_colons(text.substr(at, end - at));
      if (step.size() != 2) throw ctnn::Error("--schedule takes EPOCH:RATE,... (e.g. 1:0.01,11:0.001), not '" + std::string(text) + "'");
      const std::size_t from = parse_number<std::size_t>(flag, step[0]);
      const float rate = parse_number<float>(flag, step[1]);
      if (from == 0 || (!schedule.empty() && from <= schedule.back().first) || !(rate > 0.0f && rate <= 10.0f))
        throw ctnn::Error("--schedule: epochs count from 1 and rise, rates are in (0, 10]: '" + std::string(text) + "'");
      schedule.emplace_back(from, rate);
      at = end + 1;
    }
  }
  else if (flag == "--history") {
    history_file = value();
    if (!history_file.ends_with(".csv") && !history_file.ends_with(".json"))
      throw ctnn::Error("--history writes FILE.csv or FILE.json, not '" + history_file + "'");
  }
  else return false;
  return true;
}

}  // namespace examples
