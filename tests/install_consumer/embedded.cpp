// Predicts with the exported header alone and compares, bit for bit, with what the model predicted.
#include <cstdio>
#include <cstring>

#include "tiny.hpp"

int main(int argc, char** argv) {
  const float x[4] = {0.1f, 0.2f, 0.3f, 0.4f};
  float expected[3], got[3];
  std::FILE* in = argc == 2 ? std::fopen(argv[1], "rb") : nullptr;
  if (!in || std::fread(expected, sizeof expected, 1, in) != 1) return std::fprintf(stderr, "usage: embedded EXPECTED\n"), 1;
  std::fclose(in);
  tiny::predict(x, got);
  const bool same = std::memcmp(expected, got, sizeof got) == 0;
  std::printf("embedded model: %g %g %g, %s\n", double(got[0]), double(got[1]), double(got[2]),
              same ? "bit for bit the model's prediction" : "DIFFERENT from the model's prediction");
  return same ? 0 : 1;
}
