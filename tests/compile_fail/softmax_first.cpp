// Must not compile: Softmax takes its input size from a previous layer, and there is none.
#include <ctnn/ctnn.hpp>

using Broken = ctnn::Net<ctnn::Softmax<10>>;

int main() { return int(Broken::param_count); }
