// Networks exported to headers at build time for test_exported_header: odd sizes, every activation,
// batch normalisation, an output layer without softmax, and every image layer kind (channels that
// do not fill a vector, padding "same" with odd windows, strides, pooling of each kind). Kernels
// from a seed; biases and batch-norm parameters non-trivial.
#pragma once

#include <string_view>

#include <ctnn/ctnn.hpp>

namespace testing {

using OddNet = ctnn::Net<ctnn::Dense<13, 29, ctnn::Tanh>, ctnn::BatchNorm<>, ctnn::Dense<29, 7, ctnn::Sigmoid>,
                         ctnn::Dense<7, 33, ctnn::Linear>, ctnn::Dense<33, 17, ctnn::ReLU>, ctnn::BatchNorm<>, ctnn::Softmax<5>>;
using RegressionNet = ctnn::Net<ctnn::Dense<6, 20, ctnn::Sigmoid>, ctnn::Dense<20, 3, ctnn::Tanh>>;
// 11x9x3 -> 11x9x5 -> 5x4x5 -> 4x2x19 -> 3x1x19 -> 57 -> 13 -> 4
using ImageNet =
    ctnn::Net<ctnn::Input<11, 9, 3>, ctnn::Rescaling<0.0078125, -1>, ctnn::Conv2D<5, 3, 3, ctnn::Tanh, ctnn::Same>, ctnn::BatchNorm<>,
              ctnn::MaxPool2D<2>, ctnn::Conv2D<19, 2, 3, ctnn::Linear>, ctnn::Activation<ctnn::Sigmoid>,
              ctnn::AveragePool2D<2, 1>, ctnn::Dropout<0.3>, ctnn::Flatten, ctnn::Dense<ctnn::inferred, 13, ctnn::Linear>,
              ctnn::BatchNorm<>, ctnn::Activation<ctnn::Tanh>, ctnn::Softmax<4>>;
// 10x10x2 -> 5x5x17 (stride 2, "same") -> 17 -> 3
using PooledNet = ctnn::Net<ctnn::Input<10, 10, 2>, ctnn::BatchNorm<>,
                            ctnn::Conv2D<17, 3, 3, ctnn::ReLU, ctnn::Same, ctnn::Strides<2>>, ctnn::GlobalAveragePool2D,
                            ctnn::Softmax<3>>;

template <class N>
ctnn::Model<N> export_test_model(std::uint64_t seed) {
  ctnn::Model<N> model{ctnn::Seed{seed}};
  for (const auto& [name, at] : ctnn::layers::named_tensors(model)) {
    const ctnn::MatrixView<float> values = model.tensor(at.layer, at.tensor);
    const std::string_view tensor = std::string_view(name).substr(name.find('/') + 1);
    for (std::size_t o = 0; o < values.cols; ++o) {
      if (tensor == "bias") values(0, o) = 0.07f * float(o % 5) - 0.1f;
      else if (tensor == "gamma") values(0, o) = 0.5f + 0.1f * float(o % 7);
      else if (tensor == "beta") values(0, o) = 0.05f * float(o % 3) - 0.05f;
      else if (tensor == "moving_mean") values(0, o) = 0.02f * float(o % 11) - 0.1f;
      else if (tensor == "moving_variance") values(0, o) = 0.3f + 0.2f * float(o % 4);
    }
  }
  return model;
}

}  // namespace testing
