// Which element-wise backward steps a layer's backward pass applies to the gradient it passes
// down, and which of them fit in its kernel's last loop (codegen::BackwardEpilogue). Both drivers
// plan with these functions: the Net in constant evaluation, the engine when a step is built.
#pragma once

#include <cstddef>

#include "protocol.hpp"

namespace ctnn::layers {

// A step and the layer whose buffer it reads (the layer that listed it).
struct LocatedStep {
  BackwardStep step;
  std::size_t layer = 0;
};
inline constexpr std::size_t max_chained_steps = 4 * max_backward_steps;
using StepChain = FixedList<LocatedStep, max_chained_steps>;

// The steps between layer i and the next layer down whose backward is more than its steps, that
// layer's own steps included, from the top: what the gradient of layer i's input goes through.
// steps_of(j) and traits_of(j) give layer j's backward steps and traits.
template <class StepsOf, class TraitsOf>
constexpr StepChain steps_below(std::size_t i, StepsOf&& steps_of, TraitsOf&& traits_of) {
  StepChain chain;
  for (std::size_t j = i; j-- > 0;) {
    for (const BackwardStep& step : steps_of(j)) chain.push_back({step, j});
    if (!traits_of(j).elementwise_backward) break;
  }
  return chain;
}

// The form of BackwardEpilogue: a mask, then an activity L1 penalty and an activation's
// derivative on the same layer's output, each at most once and in that order.
// Steps are named by their index in the chain.
struct FusedForm {
  static constexpr std::size_t none = std::size_t(-1);
  std::size_t mask = none;  // the step whose source is the mask
  float activity_l1 = 0.0f;
  ActivationKind activation = ActivationKind::linear;
  std::size_t activation_output = none;  // the step whose source the penalty and the derivative read
  std::size_t count = 0;                 // how many steps from the first it holds
};

// The longest prefix of chain[first, end) that FusedForm can hold.
constexpr FusedForm fuse(const StepChain& chain, std::size_t first = 0, std::size_t end = max_chained_steps) {
  FusedForm fused;
  int stage = 0;
  const auto same_source = [](const LocatedStep& a, const LocatedStep& b) {
    return a.layer == b.layer && a.step.source.output == b.step.source.output &&
           (a.step.source.output || a.step.source.scratch == b.step.source.scratch);
  };
  for (std::size_t s = first; s < chain.size() && s < end; ++s, ++fused.count) {
    const LocatedStep& located = chain[s];
    const BackwardStep& step = located.step;
    if (step.kind == StepKind::scale && stage == 0) {
      fused.mask = s, stage = 1;
    } else if (step.kind == StepKind::add_l1_sign && stage <= 1) {
      fused.activity_l1 = step.coefficient, fused.activation_output = s, stage = 2;
    } else if (step.kind == StepKind::activation_derivative && stage <= 2 &&
               (stage < 2 || same_source(chain[fused.activation_output], located))) {
      fused.activation = step.activation, fused.activation_output = s, stage = 3;
    } else {
      break;
    }
  }
  return fused;
}

}  // namespace ctnn::layers
