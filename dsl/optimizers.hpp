// The optimisers users choose in FitOptions, with Keras's defaults: SGD, RMSprop and Adam.
// Their arithmetic is in codegen/optimizer_update.hpp.
#pragma once

#include <cmath>
#include <string>
#include <variant>

#include "../error.hpp"

namespace ctnn {

// Keras's SGD: plain, with momentum, or with Nesterov momentum.
struct SGD {
  float learning_rate = 0.01f;
  float momentum = 0.0f;
  bool nesterov = false;
};

// Keras's RMSprop: a moving average of squared gradients scales each step.
struct RMSprop {
  float learning_rate = 0.001f;
  float rho = 0.9f;
  float momentum = 0.0f;
  float epsilon = 1e-7f;
  bool centered = false;  // divide by the estimated variance instead of the second moment
};

// Keras's Adam, with its bias correction folded into the step size.
struct Adam {
  float learning_rate = 0.001f;
  float beta_1 = 0.9f;
  float beta_2 = 0.999f;
  float epsilon = 1e-7f;
  bool amsgrad = false;
};

using Optimizer = std::variant<SGD, RMSprop, Adam>;

inline float learning_rate_of(const Optimizer& optimizer) {
  return std::visit([](const auto& o) { return o.learning_rate; }, optimizer);
}
inline void set_learning_rate(Optimizer& optimizer, float learning_rate) {
  std::visit([learning_rate](auto& o) { o.learning_rate = learning_rate; }, optimizer);
}
const char* optimizer_name(const Optimizer& optimizer);
// Every coefficient, as Keras prints a config: "Adam(learning_rate=0.001, beta_1=0.9, ...)".
std::string optimizer_text(const Optimizer& optimizer);

namespace detail {

void require(bool ok, const Optimizer& optimizer, const char* field, float value, const char* rule);

}  // namespace detail

// Throws ctnn::Error naming the first coefficient outside its range (the learning rate is checked
// by fit, since schedules change it).
void check_optimizer(const Optimizer& optimizer);

}  // namespace ctnn
