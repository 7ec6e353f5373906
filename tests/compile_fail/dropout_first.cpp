// Must not compile: Dropout acts on the outputs of a Dense layer before it; here there is none.
#include <ctnn/ctnn.hpp>

using Broken = ctnn::Net<ctnn::Dropout<0.2>, ctnn::Dense<784, 100>, ctnn::Softmax<10>>;

int main() { return int(Broken::param_count); }
