// Must not compile: a regulariser where the activation belongs.
#include <ctnn/ctnn.hpp>

using Broken = ctnn::Net<ctnn::Dense<784, 400, ctnn::L2<0.01f>>, ctnn::Softmax<10>>;

int main() { return int(Broken::param_count); }
