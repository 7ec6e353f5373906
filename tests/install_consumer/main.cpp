#include <cstdio>
#include <ctnn/ctnn.hpp>

using Tiny = ctnn::Net<ctnn::Dense<4, 8, ctnn::Tanh>, ctnn::Softmax<3>>;
constexpr float x[4] = {0.1f, 0.2f, 0.3f, 0.4f};

// Without arguments: checks a prediction. With two paths: also saves the model and its prediction of x
// (the raw floats), which the embedded program must reproduce.
int main(int argc, char** argv) {
  ctnn::Model<Tiny> model{ctnn::Seed{1}};
  float p[3];
  model.predict(x, p);
  const float total = p[0] + p[1] + p[2];
  std::printf("%zu parameters, probabilities sum to %.6f\n", Tiny::param_count, double(total));
  if (argc == 3) {
    ctnn::io::save(model, argv[1]);
    std::FILE* out = std::fopen(argv[2], "wb");
    if (!out || std::fwrite(p, sizeof p, 1, out) != 1 || std::fclose(out) != 0) return 1;
  }
  return total > 0.9999f && total < 1.0001f && Tiny::param_count == 67 ? 0 : 1;
}
