// Shape rules of a Net, written as concepts so that a violation names the numbers:
// GCC prints "[with position = 1; previous_output_size = 400; its_input_size = 300]"
// (position: where the layer is in the Net as written, counted from 0).
#pragma once

#include <cstddef>

namespace ctnn {

template <std::size_t position, std::size_t its_input_size, std::size_t previous_output_size>
concept dense_input_matches_previous_output =
    bool(position < std::size_t(-1) && (its_input_size == 0 || its_input_size == previous_output_size));

template <std::size_t position, bool is_softmax, std::size_t layer_count>
concept softmax_is_the_output_layer = bool(!is_softmax || position + 1 == layer_count);

template <std::size_t first_layer_declared_inputs>
concept first_layer_declares_its_input_size = bool(first_layer_declared_inputs > 0);

}  // namespace ctnn
