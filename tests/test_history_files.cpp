// History exported as CSV and JSON, against text written out by hand.
#include <catch2/catch.hpp>
#include <ctnn/ctnn.hpp>

#include <fstream>
#include <iterator>

#include "temp_dir.hpp"

using namespace ctnn;

TEST_CASE("a history with validation as CSV (Keras CSVLogger columns) and JSON") {
  History history;
  history.loss = {0.5, 0.25};
  history.accuracy = {0.8, 0.875};
  history.val_loss = {0.625, 0.3};
  history.val_accuracy = {0.75, 0.9};
  history.seconds = {1.5, 1.25};
  CHECK(to_csv(history) ==
        "epoch,loss,accuracy,val_loss,val_accuracy,seconds\n"
        "0,0.5,0.8,0.625,0.75,1.5\n"
        "1,0.25,0.875,0.3,0.9,1.25\n");
  CHECK(to_json(history) ==
        "{\"loss\": [0.5, 0.25], \"accuracy\": [0.8, 0.875], \"val_loss\": [0.625, 0.3], "
        "\"val_accuracy\": [0.75, 0.9], \"seconds\": [1.5, 1.25]}\n");
}

TEST_CASE("without validation the val_ columns are left out; files are written whole") {
  History history;
  history.loss = {1.0 / 3.0};
  history.accuracy = {0.1};
  history.seconds = {2.0};
  CHECK(to_csv(history) == "epoch,loss,accuracy,seconds\n0,0.3333333333333333,0.1,2\n");
  testing::TempDir dir;
  save_csv(history, dir.path() / "history.csv");
  save_json(history, dir.path() / "history.json");
  std::ifstream csv(dir.path() / "history.csv"), json(dir.path() / "history.json");
  CHECK(std::string(std::istreambuf_iterator<char>(csv), {}) == to_csv(history));
  CHECK(std::string(std::istreambuf_iterator<char>(json), {}) == "{\"loss\": [0.3333333333333333], \"accuracy\": [0.1], \"seconds\": [2]}\n");
  CHECK_THROWS_WITH(save_csv(history, dir.path() / "no" / "h.csv"), Catch::Matchers::Contains("h.csv"));
}
