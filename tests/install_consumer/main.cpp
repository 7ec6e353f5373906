#include <cstdio>
#include <ctnn/ctnn.hpp>

using Tiny = ctnn::Net<ctnn::Dense<4, 8, ctnn::Tanh>, ctnn::Softmax<3>>;

int main() {
  ctnn::Model<Tiny> model{ctnn::Seed{1}};
  const float x[4] = {0.1f, 0.2f, 0.3f, 0.4f};
  float p[3];
  model.predict(x, p);
  const float total = p[0] + p[1] + p[2];
  std::printf("%zu parameters, probabilities sum to %.6f\n", Tiny::param_count, double(total));
  return total > 0.9999f && total < 1.0001f && Tiny::param_count == 67 ? 0 : 1;
}
