// Writes the model files that the build exports for test_exported_header (see export_test_models.hpp).
#include <cstdio>

#include "export_test_models.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: write_export_test_models ODD.ctnn REGRESSION.ctnn IMAGE.ctnn POOLED.ctnn\n");
    return 2;
  }
  ctnn::io::save(testing::export_test_model<testing::OddNet>(7), argv[1]);
  ctnn::io::save(testing::export_test_model<testing::RegressionNet>(8), argv[2]);
  ctnn::io::save(testing::export_test_model<testing::ImageNet>(9), argv[3]);
  ctnn::io::save(testing::export_test_model<testing::PooledNet>(10), argv[4]);
}
