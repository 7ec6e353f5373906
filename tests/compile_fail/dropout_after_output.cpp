// Must not compile: nothing may follow the Softmax output layer, a Dropout neither.
#include <ctnn/ctnn.hpp>

using Broken = ctnn::Net<ctnn::Dense<784, 100>, ctnn::Dropout<0.5>, ctnn::Softmax<10>, ctnn::Dropout<0.5>>;

int main() { return int(Broken::param_count); }
