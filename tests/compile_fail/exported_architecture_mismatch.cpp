// An exported header checked against a Net of another architecture (32 hidden units, not 64).
#include <ctnn/ctnn.hpp>

#include "fashion_mlp.hpp"

using Wrong = ctnn::Net<ctnn::Dense<784, 32, ctnn::ReLU>, ctnn::Softmax<10>>;

int main() { fashion_mlp::expect_architecture<Wrong>(); }
