// Reading a network spec, as a one-line string or a small text file.
//
//   spec    := input ('-' layer)+            e.g. "784-400:relu:l2=0.01-20:relu-10:softmax"
//   input   := size | height 'x' width 'x' channels
//   layer   := units (':' option)*           a Dense layer
//            | word ['=' value]              a layer of its own (engine/layer_tokens.hpp): batchnorm[=momentum],
//                                            dropout=rate, relu, linear, sigmoid, tanh, or a registered word
//   option  := relu | linear | sigmoid | tanh | softmax        (the activation; relu when none)
//            | l1=c | l2=c | l1l2=a,b                         (kernel regulariser)
//            | glorot_uniform | he_normal | zeros | random_normal[=mean,stddev]   (initialiser)
//            | activity_l1=c                                  (Keras's activity_regularizer=l1(c))
//            | batchnorm[=momentum]                           (a BatchNorm after the layer; momentum 0.99)
//            | dropout=rate                                   (a Dropout after the layer, 0 <= rate < 1)
//
// "784-dropout=0.2-400:linear-batchnorm-relu-10:softmax" is Keras's Dropout on the inputs, then
// Dense(400), BatchNormalization and Activation("relu"), then the softmax output layer.
//
// In a file, newlines separate layers as '-' does, '#' starts a comment and blanks are ignored:
//
//   # the seed network
//   784
//   400:relu
//   20:relu
//   10:softmax
//
// A '-' directly after '=', ',' or the 'e' of an exponent is a minus sign, not a separator
// ("l2=1e-3", "random_normal=-0.5,0.1"). Softmax may only be the output layer.
// Any error names the offending token and shows where it is.
#pragma once

#include <filesystem>
#include <string_view>

#include "spec.hpp"

namespace ctnn::engine {

// Parses a one-line spec such as "784-400:relu:l2=0.01-20:relu-10:softmax".
NetworkSpec parse_spec(std::string_view text);

// Reads a spec file (the format above); errors give file:line:column.
NetworkSpec load_spec(const std::filesystem::path& path);

}  // namespace ctnn::engine
