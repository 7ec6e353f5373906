// Shape rules of a Net, written as concepts so that a violation names the numbers:
// GCC prints "[with layer_index = 1; previous_output_size = 400; its_input_size = 300]".
#pragma once

#include <cstddef>

namespace ctnn {

template <std::size_t layer_index, std::size_t its_input_size, std::size_t previous_output_size>
concept dense_input_matches_previous_output =
    bool(layer_index == 0 || its_input_size == previous_output_size);

template <std::size_t layer_index, bool is_softmax, std::size_t layer_count>
concept softmax_is_the_output_layer = bool(!is_softmax || layer_index + 1 == layer_count);

template <std::size_t first_layer_declared_inputs>
concept first_layer_declares_its_input_size = bool(first_layer_declared_inputs > 0);

}  // namespace ctnn
