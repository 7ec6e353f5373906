// Dropout before BatchNorm: the order is Dense, BatchNorm, Dropout.
#include <ctnn/ctnn.hpp>

using Misordered = ctnn::Net<ctnn::Dense<784, 64>, ctnn::Dropout<0.2>, ctnn::BatchNorm<>, ctnn::Softmax<10>>;

int main() { return int(Misordered::depth); }
