// Batch normalisation's constants, shared by the DSL, the engine and the kernels.
#pragma once

namespace ctnn {

// BatchNorm's epsilon, as Keras's BatchNormalization: fixed, since it is part of the function a
// trained model computes (and so of its architecture).
inline constexpr float batch_norm_epsilon = 1e-3f;
// The default momentum of the moving statistics, as Keras's.
inline constexpr float default_batch_norm_momentum = 0.99f;

}  // namespace ctnn
