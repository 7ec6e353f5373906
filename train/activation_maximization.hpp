// Activation maximisation as the Keras notebooks do it (Chollet, Deep Learning with Python, 5.4):
// gradient ascent on the input, from a grey image with noise, each step the gradient divided by its
// root mean square; then the image "deprocessed" to bytes (centred, a standard deviation of 0.1
// around mid-grey, clipped) so that the pattern shows whatever its scale.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "../dsl/random.hpp"
#include "analysis.hpp"

namespace ctnn {

// The notebook's numbers, in 0-255 grey levels of the inputs' range: the start is 128 plus uniform
// noise of 20, and each of `steps` steps moves the pixels by `step` levels (root mean square).
struct ActivationMaximization {
  std::size_t steps = 40;
  float step = 1.0f;
  std::uint64_t seed = 0;  // of the starting noise
};

// The input (input_size() values) found by gradient ascent on output `unit` of layer `layer`
// (activation_gradient's numbering). The inputs' range is [low, high]: 0 and 1 for images scaled as
// the IDX reader scales them. A Dense or Conv2D layer's unit is taken before its activation: a
// softmax probability saturates at 1 after a few steps, and its gradient with it (Keras users swap
// the softmax for a linear activation to draw classes for the same reason).
template <AnalysableBackend M>
std::vector<float> maximize_activation(const M& model, std::size_t layer, std::size_t unit, float low, float high,
                                       const ActivationMaximization& options = {}) {
  const float grey_level = (high - low) / 255.0f;
  Rng rng(options.seed, layer * 65536 + unit);
  std::vector<float> image(model.input_size());
  for (float& pixel : image) pixel = low + grey_level * float(128.0 + 20.0 * rng.uniform());
  const bool has_activation = model.template layer_as<layers::Dense>(layer) || model.template layer_as<layers::Conv2D>(layer);
  for (std::size_t step = 0; step < options.steps; ++step) {
    const Matrix gradient = activation_gradient(model, image, 1, layer, unit, has_activation);
    double squares = 0.0;
    for (const float g : gradient.values) squares += double(g) * double(g);
    const double scale = double(options.step * grey_level) / (std::sqrt(squares / double(image.size())) + 1e-5);
    for (std::size_t i = 0; i < image.size(); ++i) image[i] += float(scale * double(gradient.values[i]));
  }
  return image;
}

// The notebook's deprocess_image: (x - mean) / (std + 1e-5) * 0.1 + 0.5, clipped to [0, 1], as bytes.
std::vector<std::uint8_t> deprocess_image(std::span<const float> image);

}  // namespace ctnn
