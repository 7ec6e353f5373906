// Networks exported to headers at build time for test_exported_header: odd sizes, every activation,
// batch normalisation, an output layer without softmax. Weights from a seed; biases and batch-norm
// parameters non-trivial.
#pragma once

#include <ctnn/ctnn.hpp>

namespace testing {

using OddNet = ctnn::Net<ctnn::Dense<13, 29, ctnn::Tanh>, ctnn::BatchNorm<>, ctnn::Dense<29, 7, ctnn::Sigmoid>,
                         ctnn::Dense<7, 33, ctnn::Linear>, ctnn::Dense<33, 17, ctnn::ReLU>, ctnn::BatchNorm<>, ctnn::Softmax<5>>;
using RegressionNet = ctnn::Net<ctnn::Dense<6, 20, ctnn::Sigmoid>, ctnn::Dense<20, 3, ctnn::Tanh>>;

template <class N>
ctnn::Model<N> export_test_model(std::uint64_t seed) {
  ctnn::Model<N> model{ctnn::Seed{seed}};
  for (std::size_t l = 0; l < model.depth(); ++l) {
    for (std::size_t o = 0; o < model.bias(l).size(); ++o) model.bias(l)[o] = 0.07f * float(o % 5) - 0.1f;
    if (const ctnn::BatchNormParameters<float> norm = model.batch_norm(l))
      for (std::size_t o = 0; o < norm.units; ++o) {
        norm.gamma()[o] = 0.5f + 0.1f * float(o % 7);
        norm.beta()[o] = 0.05f * float(o % 3) - 0.05f;
        norm.moving_mean()[o] = 0.02f * float(o % 11) - 0.1f;
        norm.moving_variance()[o] = 0.3f + 0.2f * float(o % 4);
      }
  }
  return model;
}

}  // namespace testing
