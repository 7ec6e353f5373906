// Networks exported to headers at build time for test_exported_header: odd sizes, every activation,
// an output layer without softmax. Weights from a seed, biases non-zero.
#pragma once

#include <ctnn/ctnn.hpp>

namespace testing {

using OddNet = ctnn::Net<ctnn::Dense<13, 29, ctnn::Tanh>, ctnn::Dense<29, 7, ctnn::Sigmoid>, ctnn::Dense<7, 33, ctnn::Linear>,
                         ctnn::Dense<33, 17, ctnn::ReLU>, ctnn::Softmax<5>>;
using RegressionNet = ctnn::Net<ctnn::Dense<6, 20, ctnn::Sigmoid>, ctnn::Dense<20, 3, ctnn::Tanh>>;

template <class N>
ctnn::Model<N> export_test_model(std::uint64_t seed) {
  ctnn::Model<N> model{ctnn::Seed{seed}};
  for (std::size_t l = 0; l < model.depth(); ++l)
    for (std::size_t o = 0; o < model.bias(l).size(); ++o) model.bias(l)[o] = 0.07f * float(o % 5) - 0.1f;
  return model;
}

}  // namespace testing
