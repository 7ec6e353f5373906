// PGM images ("P5" binary or "P2" text: width, height and maximum value with # comments between,
// then the pixels), read as 8-bit pixels scaled to 0..255. Free of ctnn, like classify_embedded.
#pragma once

#include <cctype>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace examples {

struct PgmError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Whether `bytes` start as a PGM file does.
inline bool is_pgm(const std::vector<std::uint8_t>& bytes) {
  return bytes.size() >= 2 && bytes[0] == 'P' && (bytes[1] == '5' || bytes[1] == '2');
}

// The image in `bytes` (an is_pgm file), which must have exactly `pixels` pixels; `path` names it in errors.
inline std::vector<std::uint8_t> parse_pgm(const std::string& path, const std::vector<std::uint8_t>& bytes, std::size_t pixels) {
  if (!is_pgm(bytes)) throw PgmError(path + ": not a PGM image (it does not start with P5 or P2)");
  std::size_t at = 2;
  const auto next_number = [&](const char* what) {
    while (at < bytes.size() && (std::isspace(bytes[at]) || bytes[at] == '#'))
      if (bytes[at] == '#') while (at < bytes.size() && bytes[at] != '\n') ++at;
      else ++at;
    unsigned value = 0;
    const auto* begin = reinterpret_cast<const char*>(bytes.data()) + at;
    const auto [end, error] = std::from_chars(begin, reinterpret_cast<const char*>(bytes.data()) + bytes.size(), value);
    if (error != std::errc{}) throw PgmError(path + ": the PGM header lacks its " + what);
    at += std::size_t(end - begin);
    return value;
  };
  const bool text = bytes[1] == '2';
  const unsigned width = next_number("width"), height = next_number("height"), maxval = next_number("maximum value");
  if (std::size_t(width) * height != pixels)
    throw PgmError(path + ": is " + std::to_string(width) + "x" + std::to_string(height) + " pixels; the model reads " +
                   std::to_string(pixels));
  if (maxval == 0 || maxval > 255)
    throw PgmError(path + ": has 16-bit or invalid pixel values (maximum " + std::to_string(maxval) + "); 8-bit PGM only");
  std::vector<std::uint8_t> image(pixels);
  if (text) {
    for (std::uint8_t& p : image) {
      const unsigned value = next_number("pixels (too few)");
      if (value > maxval)
        throw PgmError(path + ": a pixel value of " + std::to_string(value) + " is above the maximum " + std::to_string(maxval));
      p = std::uint8_t(value * 255 / maxval);
    }
  } else {
    ++at;  // the single whitespace byte after maxval
    if (bytes.size() < at + pixels)
      throw PgmError(path + ": truncated: " + std::to_string(bytes.size() - std::min(at, bytes.size())) + " of " +
                     std::to_string(pixels) + " pixel bytes");
    for (std::size_t i = 0; i < pixels; ++i) {
      if (bytes[at + i] > maxval)
        throw PgmError(path + ": a pixel value of " + std::to_string(bytes[at + i]) + " is above the maximum " +
                       std::to_string(maxval));
      image[i] = std::uint8_t(bytes[at + i] * 255 / maxval);
    }
  }
  return image;
}

}  // namespace examples
