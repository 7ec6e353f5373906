#include "activation_maximization.hpp"

#include <algorithm>

namespace ctnn {

std::vector<std::uint8_t> deprocess_image(std::span<const float> image) {
  if (image.empty()) return {};
  double sum = 0.0;
  for (const float x : image) sum += double(x);
  const double mean = sum / double(image.size());
  double squares = 0.0;
  for (const float x : image) squares += (double(x) - mean) * (double(x) - mean);
  const double deviation = std::sqrt(squares / double(image.size()));
  std::vector<std::uint8_t> bytes(image.size());
  for (std::size_t i = 0; i < image.size(); ++i) {
    const double shown = std::clamp((double(image[i]) - mean) / (deviation + 1e-5) * 0.1 + 0.5, 0.0, 1.0);
    bytes[i] = std::uint8_t(shown * 255.0);
  }
  return bytes;
}

}  // namespace ctnn
