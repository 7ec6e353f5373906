// Must not compile: a dropout rate of 1 would drop everything.
#include <ctnn/ctnn.hpp>

using Broken = ctnn::Net<ctnn::Dense<784, 100>, ctnn::Dropout<1.0>, ctnn::Softmax<10>>;

int main() { return int(Broken::param_count); }
