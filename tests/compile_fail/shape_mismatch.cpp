// Must not compile: layer 1 reads 300 values but layer 0 outputs 400.
#include <ctnn/ctnn.hpp>

using Broken = ctnn::Net<ctnn::Dense<784, 400>, ctnn::Dense<300, 20>, ctnn::Softmax<10>>;

int main() { return int(Broken::param_count); }
