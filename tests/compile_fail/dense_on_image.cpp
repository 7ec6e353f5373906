// Must not compile: a Dense layer reads vectors, and its input is a 28x28x1 image (Flatten is missing).
#include <ctnn/ctnn.hpp>

using Broken = ctnn::Net<ctnn::Input<28, 28, 1>, ctnn::Dense<ctnn::inferred, 10>, ctnn::Softmax<10>>;

int main() { return int(Broken::param_count); }
