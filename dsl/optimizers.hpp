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
inline const char* optimizer_name(const Optimizer& optimizer) {
  constexpr const char* names[] = {"SGD", "RMSprop", "Adam"};
  return names[optimizer.index()];
}

namespace detail {

inline void require(bool ok, const Optimizer& optimizer, const char* field, float value, const char* rule) {
  if (!ok)
    throw Error(std::string("fit: ") + optimizer_name(optimizer) + "::" + field + " must be " + rule + ", not " +
                std::to_string(value));
}

}  // namespace detail

// Throws ctnn::Error naming the first coefficient outside its range (the learning rate is checked
// by fit, since schedules change it).
inline void check_optimizer(const Optimizer& optimizer) {
  using detail::require;
  const auto unit = [](float x) { return x >= 0.0f && x < 1.0f; };
  const auto positive = [](float x) { return x > 0.0f && std::isfinite(x); };
  if (const auto* sgd = std::get_if<SGD>(&optimizer)) {
    require(unit(sgd->momentum), optimizer, "momentum", sgd->momentum, "in [0, 1)");
  } else if (const auto* rmsprop = std::get_if<RMSprop>(&optimizer)) {
    require(unit(rmsprop->rho), optimizer, "rho", rmsprop->rho, "in [0, 1)");
    require(unit(rmsprop->momentum), optimizer, "momentum", rmsprop->momentum, "in [0, 1)");
    require(positive(rmsprop->epsilon), optimizer, "epsilon", rmsprop->epsilon, "positive");
  } else if (const auto* adam = std::get_if<Adam>(&optimizer)) {
    require(unit(adam->beta_1), optimizer, "beta_1", adam->beta_1, "in [0, 1)");
    require(unit(adam->beta_2), optimizer, "beta_2", adam->beta_2, "in [0, 1)");
    require(positive(adam->epsilon), optimizer, "epsilon", adam->epsilon, "positive");
  }
}

}  // namespace ctnn
