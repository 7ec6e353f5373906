// Must not compile: a softmax only makes sense as the output layer.
#include <ctnn/ctnn.hpp>

using Broken = ctnn::Net<ctnn::Dense<784, 100>, ctnn::Softmax<20>, ctnn::Softmax<10>>;

int main() { return int(Broken::param_count); }
