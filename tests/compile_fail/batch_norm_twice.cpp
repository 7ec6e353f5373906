// Two BatchNorms after one Dense layer.
#include <ctnn/ctnn.hpp>

using Twice = ctnn::Net<ctnn::Dense<784, 64>, ctnn::BatchNorm<>, ctnn::BatchNorm<>, ctnn::Softmax<10>>;

int main() { return int(Twice::depth); }
