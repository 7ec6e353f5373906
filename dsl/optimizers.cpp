#include "optimizers.hpp"

#include <cstdio>

namespace ctnn {

const char* optimizer_name(const Optimizer& optimizer) {
  constexpr const char* names[] = {"SGD", "RMSprop", "Adam"};
  return names[optimizer.index()];
}

std::string optimizer_text(const Optimizer& optimizer) {
  const auto number = [](float value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.9g", double(value));
    return std::string(text);
  };
  const auto flag = [](bool value) { return std::string(value ? "True" : "False"); };
  const std::string rate = "(learning_rate=" + number(learning_rate_of(optimizer));
  if (const auto* sgd = std::get_if<SGD>(&optimizer))
    return "SGD" + rate + ", momentum=" + number(sgd->momentum) + ", nesterov=" + flag(sgd->nesterov) + ")";
  if (const auto* rmsprop = std::get_if<RMSprop>(&optimizer))
    return "RMSprop" + rate + ", rho=" + number(rmsprop->rho) + ", momentum=" + number(rmsprop->momentum) +
           ", epsilon=" + number(rmsprop->epsilon) + ", centered=" + flag(rmsprop->centered) + ")";
  const Adam& adam = std::get<Adam>(optimizer);
  return "Adam" + rate + ", beta_1=" + number(adam.beta_1) + ", beta_2=" + number(adam.beta_2) +
         ", epsilon=" + number(adam.epsilon) + ", amsgrad=" + flag(adam.amsgrad) + ")";
}

void detail::require(bool ok, const Optimizer& optimizer, const char* field, float value, const char* rule) {
  if (!ok)
    throw Error(std::string("fit: ") + optimizer_name(optimizer) + "::" + field + " must be " + rule + ", not " +
                std::to_string(value));
}

void check_optimizer(const Optimizer& optimizer) {
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
