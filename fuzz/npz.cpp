// .npz archives, read as arrays and as a Keras-style data set (x_train, y_train, x_test, y_test).
#include <ctnn/io/data_sets.hpp>
#include <ctnn/io/npz.hpp>

#include "fuzz_target.hpp"

void fuzz_one(std::string_view bytes) {
  const std::filesystem::path path = fuzz::file_with(bytes, "input.npz");
  ctnn::io::read_npz(path);
  ctnn::io::load_npz_data_set(path);
}
