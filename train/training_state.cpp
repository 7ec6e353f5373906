#include "training_state.hpp"

#include <bit>
#include <cstring>

#include "../io/byte_order.hpp"
#include "../io/byte_reader.hpp"
#include "../io/file_bytes.hpp"

namespace ctnn {

namespace {

using io::detail::append_little_endian;
using io::detail::ByteReader;

void append_double(std::string& bytes, double value) { append_little_endian(bytes, std::bit_cast<std::uint64_t>(value)); }
double read_double(ByteReader& reader, const char* field) { return std::bit_cast<double>(reader.integer<std::uint64_t>(field)); }

void append_blob(std::string& bytes, const std::string& blob) {
  append_little_endian(bytes, std::uint64_t(blob.size()));
  bytes.append(blob);
}

// A count of `size`-byte items, checked against the bytes left before anything is allocated.
std::size_t read_count(ByteReader& reader, std::size_t size, const char* field) {
  const auto count = reader.integer<std::uint64_t>(field);
  if (count > reader.remaining() / size)
    throw Error(reader.path() + ": truncated or corrupted: the " + field + " announces " + std::to_string(count) +
                " entries, more than the " + std::to_string(reader.remaining()) + " bytes left hold");
  return std::size_t(count);
}

std::vector<double> read_series(ByteReader& reader, const char* field) {
  std::vector<double> series(read_count(reader, 8, field));
  for (double& value : series) value = read_double(reader, field);
  return series;
}

io::ModelFile read_embedded_model(ByteReader& reader, const char* field) {
  const std::size_t length = read_count(reader, 1, field);
  return io::parse_model_file(reader.take(length, field), reader.path() + " (" + field + ")");
}

bool read_flag(ByteReader& reader, const char* field) {
  const auto flag = reader.integer<std::uint8_t>(field);
  if (flag > 1) throw Error(reader.path() + ": corrupted: the " + field + " flag is " + std::to_string(flag) + ", not 0 or 1");
  return flag == 1;
}

}  // namespace

std::string training_state_bytes(const TrainingState& state) {
  std::string bytes(training_state_magic);
  append_little_endian(bytes, training_state_version);
  append_little_endian(bytes, std::uint32_t(state.run.size()));
  bytes.append(state.run);
  append_little_endian(bytes, state.epoch);
  append_little_endian(bytes, state.batches_done);
  append_little_endian(bytes, state.iteration);
  append_little_endian(bytes, std::uint8_t(state.finished));
  append_little_endian(bytes, std::bit_cast<std::uint32_t>(state.learning_rate));
  append_double(bytes, state.loss_sum);
  append_little_endian(bytes, state.correct);
  append_little_endian(bytes, state.seen);
  const History& h = state.history;
  for (const std::vector<double>* series : {&h.loss, &h.accuracy, &h.val_loss, &h.val_accuracy, &h.seconds, &h.learning_rate}) {
    append_little_endian(bytes, std::uint64_t(series->size()));
    for (const double value : *series) append_double(bytes, value);
  }
  append_little_endian(bytes, std::uint32_t(state.callbacks.size()));
  for (const CallbackRecord& record : state.callbacks) {
    append_double(bytes, record.best);
    append_little_endian(bytes, record.wait);
    append_little_endian(bytes, record.cooldown_left);
  }
  append_blob(bytes, io::model_file_bytes(state.weights));
  append_little_endian(bytes, std::uint8_t(state.best_weights.has_value()));
  if (state.best_weights) append_blob(bytes, io::model_file_bytes(*state.best_weights));
  append_little_endian(bytes, std::uint64_t(state.optimizer_state.size()));
  for (const float value : state.optimizer_state) append_little_endian(bytes, std::bit_cast<std::uint32_t>(value));
  append_little_endian(bytes, io::detail::crc32_of(bytes.data(), bytes.size()));
  return bytes;
}

TrainingState read_training_state(const std::filesystem::path& path) {
  const std::string bytes = io::read_file_bytes(path, "training state");
  const std::string name = path.string();
  if (bytes.size() < training_state_magic.size() + 8 ||
      std::memcmp(bytes.data(), training_state_magic.data(), training_state_magic.size()) != 0)
    throw Error(name + ": not a ctnn training state (it does not start with \"CTNNBKUP\")");
  // The checksum first: a damaged file says so, rather than whichever field the damage hit.
  const std::size_t checked_bytes = bytes.size() - 4;
  if (io::detail::read_little_endian(bytes, checked_bytes, 4) != io::detail::crc32_of(bytes.data(), checked_bytes))
    throw Error(name + ": corrupted: the checksum does not match the contents (the file was damaged after it was written)");
  ByteReader reader(std::string_view(bytes).substr(0, checked_bytes), name);
  reader.take(training_state_magic.size(), "magic number");
  if (const auto version = reader.integer<std::uint32_t>("format version"); version != training_state_version)
    throw Error(name + ": written in training-state format version " + std::to_string(version) + "; this build of ctnn reads version " +
                std::to_string(training_state_version));
  TrainingState state;
  state.run = reader.take(reader.integer<std::uint32_t>("run identity length"), "run identity");
  state.epoch = reader.integer<std::uint64_t>("epoch");
  state.batches_done = reader.integer<std::uint64_t>("batches done");
  state.iteration = reader.integer<std::uint64_t>("update count");
  if (state.epoch == 0) throw Error(name + ": corrupted: epoch 0 (epochs count from 1)");
  state.finished = read_flag(reader, "finished");
  state.learning_rate = std::bit_cast<float>(reader.integer<std::uint32_t>("learning rate"));
  state.loss_sum = read_double(reader, "epoch's loss sum");
  state.correct = reader.integer<std::uint64_t>("epoch's correct count");
  state.seen = reader.integer<std::uint64_t>("epoch's sample count");
  History& h = state.history;
  h.loss = read_series(reader, "loss history");
  h.accuracy = read_series(reader, "accuracy history");
  h.val_loss = read_series(reader, "val_loss history");
  h.val_accuracy = read_series(reader, "val_accuracy history");
  h.seconds = read_series(reader, "seconds history");
  h.learning_rate = read_series(reader, "learning-rate history");
  const auto callbacks = reader.integer<std::uint32_t>("callback count");
  if (callbacks > reader.remaining() / 24)
    throw Error(name + ": truncated or corrupted: " + std::to_string(callbacks) + " callbacks announced");
  state.callbacks.resize(callbacks);
  for (CallbackRecord& record : state.callbacks) {
    record.best = read_double(reader, "callback state");
    record.wait = reader.integer<std::uint64_t>("callback state");
    record.cooldown_left = reader.integer<std::uint64_t>("callback state");
  }
  state.weights = read_embedded_model(reader, "weights");
  if (read_flag(reader, "best weights")) state.best_weights = read_embedded_model(reader, "best weights");
  state.optimizer_state.resize(read_count(reader, 4, "optimiser state"));
  for (float& value : state.optimizer_state) value = std::bit_cast<float>(reader.integer<std::uint32_t>("optimiser state"));
  if (reader.remaining() != 0)
    throw Error(name + ": corrupted: " + std::to_string(reader.remaining()) + " unexpected bytes before the checksum");
  return state;
}

}  // namespace ctnn
