// A fixed amount of compiler work that does not depend on ctnn: the yardstick the compile-cost test
// divides the seed program's compile time by, so that its bound holds on a fast or a slow machine.
// It includes what ctnn builds on (xsimd, Boost.Hana, the standard library) and instantiates a
// comparable kind of code: SIMD loops, standard containers and algorithms, formatted output.
// Do not change it: every figure the test has printed is relative to it.
#include <algorithm>
#include <boost/hana.hpp>
#include <cstdio>
#include <map>
#include <numeric>
#include <regex>
#include <string>
#include <vector>
#include <xsimd/xsimd.hpp>

namespace {

using floats = xsimd::batch<float>;

template <std::size_t Width>
float dot(const std::vector<float>& a, const std::vector<float>& b) {
  floats sums[Width];
  for (auto& s : sums) s = floats(0.0f);
  const std::size_t step = Width * floats::size;
  std::size_t i = 0;
  for (; i + step <= a.size(); i += step)
    for (std::size_t w = 0; w < Width; ++w)
      sums[w] = xsimd::fma(floats::load_unaligned(&a[i + w * floats::size]),
                           floats::load_unaligned(&b[i + w * floats::size]), sums[w]);
  float total = 0.0f;
  for (auto& s : sums) total += xsimd::hadd(s);
  for (; i < a.size(); ++i) total += a[i] * b[i];
  return total;
}

template <class T>
std::map<std::string, T> histogram(const std::vector<std::string>& words) {
  std::map<std::string, T> counts;
  for (const auto& word : words) counts[word] += T(1);
  return counts;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<float> a(1000, 1.5f), b(1000, 2.0f);
  float total = 0.0f;
  boost::hana::for_each(boost::hana::make_tuple(boost::hana::size_c<1>, boost::hana::size_c<2>, boost::hana::size_c<3>,
                                                boost::hana::size_c<4>, boost::hana::size_c<6>, boost::hana::size_c<8>),
                        [&](auto width) { total += dot<decltype(width)::value>(a, b); });
  std::vector<std::string> words(argv, argv + argc);
  const std::regex flag("--([a-z-]+)=([0-9.]+)");
  for (const auto& word : words) {
    std::smatch match;
    if (std::regex_match(word, match, flag)) total += std::stof(match[2].str());
  }
  std::sort(words.begin(), words.end());
  const auto counts = histogram<double>(words);
  const auto integer_counts = histogram<long>(words);
  std::printf("%f %zu %zu %ld\n", double(total), counts.size(), integer_counts.size(),
              std::accumulate(integer_counts.begin(), integer_counts.end(), 0L,
                              [](long sum, const auto& entry) { return sum + entry.second; }));
}
