// The losses users choose in FitOptions (and pass to evaluate), as Keras's `loss=` argument.
// Every loss reads the softmax output layer's probabilities and the integer labels of the data
// (IDX files hold integer labels; the one-hot or smoothed targets are formed from them).
// Their arithmetic is in codegen/loss_kernels.hpp.
#pragma once

#include <cstdio>
#include <exception>
#include <string>
#include <variant>

#include "../error.hpp"

namespace ctnn {

// Keras's sparse_categorical_crossentropy: -log p(label), the default.
struct SparseCategoricalCrossentropy {};

// Keras's categorical_crossentropy on one-hot targets, optionally smoothed as Keras does it:
// target = onehot * (1 - label_smoothing) + label_smoothing / classes; loss = -sum target * log p.
struct CategoricalCrossentropy {
  double label_smoothing = 0.0;
};

// Keras's mean_squared_error between the probabilities and the one-hot target, averaged over
// the classes: mean((p - onehot)^2).
struct MeanSquaredError {};

using Loss = std::variant<SparseCategoricalCrossentropy, CategoricalCrossentropy, MeanSquaredError>;

std::string loss_name(const Loss& loss);

// Throws ctnn::Error if a coefficient of the loss is outside its range.
void check_loss(const Loss& loss);

// Parses the names Keras accepts for `loss=` (and "mse"), with an optional smoothing for the
// categorical one: "categorical_crossentropy=0.1". Throws ctnn::Error naming the choices.
Loss parse_loss(const std::string& text);

}  // namespace ctnn
