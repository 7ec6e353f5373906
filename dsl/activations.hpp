// Activation functions: the names a user writes in Dense<In, Out, Act>.
// They are tags with their name in a type and in a run-time spec; the vector code for each lives in codegen/activation_kernels.hpp.
#pragma once

#include <concepts>
#include <string_view>

namespace ctnn {

struct ReLU { static constexpr std::string_view name = "ReLU", spec = "relu"; };
struct Linear { static constexpr std::string_view name = "Linear", spec = "linear"; };
struct Sigmoid { static constexpr std::string_view name = "Sigmoid", spec = "sigmoid"; };
struct Tanh { static constexpr std::string_view name = "Tanh", spec = "tanh"; };

namespace detail {
// The activation of a Softmax<N> layer. Users never name it: softmax only makes sense
// as the output layer, whose probabilities the loss reads.
struct SoftmaxActivation { static constexpr std::string_view name = "Softmax", spec = "softmax"; };
}  // namespace detail

template <class T>
concept ActivationFunction = std::same_as<T, ReLU> || std::same_as<T, Linear> || std::same_as<T, Sigmoid> ||
                     std::same_as<T, Tanh> || std::same_as<T, detail::SoftmaxActivation>;

}  // namespace ctnn
