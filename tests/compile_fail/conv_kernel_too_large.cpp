// Must not compile: a 5x5 kernel with padding "valid" does not fit a 4x4 image.
#include <ctnn/ctnn.hpp>

using Broken = ctnn::Net<ctnn::Input<4, 4, 1>, ctnn::Conv2D<8, 5, 5>, ctnn::Flatten, ctnn::Softmax<10>>;

int main() { return int(Broken::param_count); }
