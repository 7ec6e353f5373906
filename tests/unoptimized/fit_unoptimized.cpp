// Built at -O0 on purpose: fit must say, once, that the program was compiled without optimisation.
#include <ctnn/ctnn.hpp>
#include <vector>

int main() {
  using Tiny = ctnn::Net<ctnn::Dense<4, 3, ctnn::ReLU>, ctnn::Softmax<2>>;
  std::vector<float> x(8 * 4, 0.5f);
  std::vector<std::uint8_t> labels(8, 1);
  const ctnn::DatasetView data{x.data(), labels.data(), 8, 4, "x", "labels"};
  ctnn::Model<Tiny> model;
  ctnn::fit<4>(model, data, {.epochs = 1, .verbose = false});
  ctnn::fit<4>(model, data, {.epochs = 1, .verbose = false});  // no second warning
}
