// Shortest round-trippable text for the float template arguments that appear in describe().
#pragma once

#include <charconv>
#include <string>

namespace ctnn::detail {

std::string format_float(float value);

// A float as decimal text in constant evaluation too (a Net's architecture text is a constant):
// the fewest significant digits, 1 to 9, that read back as the same float; plain notation unless
// that would need more than 9 leading or 5 zeros after the point.
constexpr std::string constant_float_text(float value) {
  if (value == 0.0f) return "0";
  std::string text = value < 0.0f ? "-" : "";
  const float magnitude = value < 0.0f ? -value : value;
  double m = magnitude;  // m * 10^e, 1 <= m < 10
  int e = 0;
  while (m >= 10.0) m /= 10.0, ++e;
  while (m < 1.0) m *= 10.0, --e;
  unsigned long long digits_value = 0;
  int digits = 1, exponent = 0;  // the value is digits_value * 10^exponent
  for (; digits <= 9; ++digits) {
    double scaled = m;
    unsigned long long limit = 10;
    for (int i = 1; i < digits; ++i) scaled *= 10.0, limit *= 10;
    digits_value = static_cast<unsigned long long>(scaled + 0.5);
    exponent = e - (digits - 1);
    if (digits_value >= limit) digits_value /= 10, ++exponent;
    double back = double(digits_value);
    for (int i = 0; i < exponent; ++i) back *= 10.0;
    for (int i = 0; i > exponent; --i) back /= 10.0;
    if (float(back) == magnitude) break;
  }
  std::string decimal;
  for (unsigned long long n = digits_value; n > 0; n /= 10) decimal.insert(decimal.begin(), char('0' + n % 10));
  const int length = int(decimal.size()), point = length + exponent;  // digits before the point
  if (point > 9 || point < -5) {
    text += decimal[0];
    if (length > 1) text.append(".").append(decimal.substr(1));
    const int shown = point - 1;
    text.append(shown < 0 ? "e-" : "e+");
    std::string power;
    for (int n = shown < 0 ? -shown : shown; n > 0 || power.empty(); n /= 10) power.insert(power.begin(), char('0' + n % 10));
    return text.append(power);
  }
  if (point <= 0) return text.append("0.").append(std::size_t(-point), '0').append(decimal);
  if (point >= length) return text.append(decimal).append(std::size_t(point - length), '0');
  return text.append(decimal.substr(0, std::size_t(point))).append(".").append(decimal.substr(std::size_t(point)));
}

}  // namespace ctnn::detail
