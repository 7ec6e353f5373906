// Writes the seed corpus of the fuzz targets that read ctnn's own formats (model files, training
// states, specs, flags) with ctnn's own writers: small, valid inputs of every layer kind for the
// fuzzers to mutate. fuzz/write_seed_corpus.py writes the others (IDX, .npy, .npz, ZIP, PGM).
//   write_seed_corpus fuzz/corpus
#include <ctnn/ctnn.hpp>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

void write(const std::filesystem::path& path, std::string_view bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_seed_corpus CORPUS_FOLDER\n");
    return 2;
  }
  const std::filesystem::path corpus = argv[1];
  const std::vector<std::string> specs = {
      "6-4:relu-3:softmax",
      "5-3-4:linear:l1l2=1e-3,2E-4:random_normal=-0.5,0.25-2:softmax:he_normal:l1=0.5",
      "8-dropout=0.2-6:linear-batchnorm-relu-3:softmax",
      "8-6:tanh:dropout=0.5:batchnorm=0.9-3:softmax",
      "6x6x1-rescale=0.5-conv=2x3x3:relu:same-maxpool=2-flatten-3:softmax",
      "5x5x2-conv=2x2x2:stride=2-avgpool=2-flatten-dropout=0.1-2:sigmoid-2:softmax",
      "4x4x3-conv=2x3x3:tanh-batchnorm-globalavgpool-2:softmax",
  };
  for (std::size_t i = 0; i < specs.size(); ++i) {
    write(corpus / "spec" / ("spec-" + std::to_string(i)), specs[i]);
    ctnn::engine::Network network{specs[i], ctnn::Seed{i}};
    write(corpus / "model_file" / ("model-" + std::to_string(i) + ".ctnn"),
          ctnn::io::model_file_bytes(ctnn::io::snapshot(network)));
  }
  write(corpus / "spec" / "spec-file", "# a spec file\n6\n4:relu   # hidden\n\n3:softmax");

  // A training state as BackupAndRestore leaves it, with EarlyStopping's best weights.
  ctnn::engine::Network network{specs[2], ctnn::Seed{1}};
  std::vector<float> x(40 * 8);
  std::vector<std::uint8_t> labels(40);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i % 7) / 7.0f;
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = std::uint8_t(i % 3);
  const ctnn::DatasetView data{x.data(), labels.data(), 40, 8, "x", "labels"};
  const std::filesystem::path backup = corpus / "backup-scratch";
  ctnn::FitOptions options{.epochs = 2, .optimizer = ctnn::Adam{}, .validation_split = 0.25, .verbose = false};
  options.callbacks = {ctnn::EarlyStopping{.patience = 3, .restore_best_weights = true},
                       ctnn::BackupAndRestore{.backup_dir = backup, .delete_checkpoint = false}};
  ctnn::engine::fit(network, data, 10, options);
  std::filesystem::create_directories(corpus / "training_state");
  std::filesystem::rename(ctnn::backup_file({backup}), corpus / "training_state" / "state.ctnnbak");
  std::filesystem::remove_all(backup);

  // Arguments separated by NUL bytes, as the flags target splits them.
  const auto arguments = [](std::initializer_list<std::string_view> list) {
    std::string joined;
    for (const std::string_view argument : list) joined.append(joined.empty() ? "" : std::string(1, '\0')).append(argument);
    return joined;
  };
  const std::vector<std::string> flags = {
      arguments({"--epochs", "3", "--optimizer", "adam", "--learning-rate", "0.01"}),
      arguments({"--loss", "categorical_crossentropy=0.1", "--seed", "7", "--data", "mnist"}),
      arguments({"--backup", "run", "--backup-every", "5", "--save", "m.ctnn"}),
  };
  for (std::size_t i = 0; i < flags.size(); ++i) write(corpus / "flags" / ("flags-" + std::to_string(i)), flags[i]);
  std::printf("wrote the seed corpus of model_file, training_state, spec and flags under %s\n", corpus.c_str());
}
