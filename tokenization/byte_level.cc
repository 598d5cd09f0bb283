#include "tokenization/byte_level.h"

#include <array>

#include "absl/strings/str_format.h"
#include "tokenization/unicode.h"

namespace sf::tokenization {
namespace {

bool StandsForItself(int b) {
  return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

// bytes_to_unicode() of GPT-2's encoder.py: bytes that stand for themselves keep their value,
// the others take 256, 257, ... in byte order.
struct ByteMaps {
  std::array<char32_t, 256> to_cp;
  std::array<int16_t, 324> to_byte;  // indexed by code point; the map's image is below 324
  ByteMaps() {
    to_byte.fill(-1);
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      to_cp[b] = StandsForItself(b) ? static_cast<char32_t>(b) : next++;
      to_byte[to_cp[b]] = static_cast<int16_t>(b);
    }
  }
};

const ByteMaps& Maps() {
  static const ByteMaps maps;
  return maps;
}

}  // namespace

char32_t ByteToCodePoint(uint8_t byte) { return Maps().to_cp[byte]; }

std::optional<uint8_t> CodePointToByte(char32_t cp) {
  if (cp >= Maps().to_byte.size() || Maps().to_byte[cp] < 0) return std::nullopt;
  return static_cast<uint8_t>(Maps().to_byte[cp]);
}

std::string BytesToByteLevel(absl::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) AppendUtf8(ByteToCodePoint(static_cast<uint8_t>(c)), &out);
  return out;
}

absl::StatusOr<std::string> ByteLevelToBytes(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const Utf8Char c = DecodeUtf8(text, pos);
    std::optional<uint8_t> byte = c.valid ? CodePointToByte(c.code_point) : std::nullopt;
    if (!byte) {
      return absl::InvalidArgumentError(
          absl::StrFormat("'%s' is not a byte-level token: byte offset %d holds %s", text, pos,
                          c.valid ? absl::StrFormat("U+%04X, outside the byte map", c.code_point)
                                  : std::string("invalid UTF-8")));
    }
    out.push_back(static_cast<char>(*byte));
    pos += c.length;
  }
  return out;
}

}  // namespace sf::tokenization
