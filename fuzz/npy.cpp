// .npy arrays (float32, float64 and uint8, both byte orders, Fortran order).
#include <ctnn/io/npy.hpp>

#include "fuzz_target.hpp"

void fuzz_one(std::string_view bytes) { ctnn::io::parse_npy(bytes, "input.npy"); }
