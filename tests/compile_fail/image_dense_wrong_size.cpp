// Must not compile: a 28x28x1 image flattens to 784 values, and the Dense layer says it reads 700.
#include <ctnn/ctnn.hpp>

using Broken = ctnn::Net<ctnn::Input<28, 28, 1>, ctnn::Flatten, ctnn::Dense<700, 10>, ctnn::Softmax<10>>;

int main() { return int(Broken::param_count); }
