#include "tokenization/random_text.h"

#include <iterator>

#include "tokenization/unicode.h"

namespace sf::tokenization {

char32_t RandomCodePoint(std::mt19937* rng) {
  static constexpr char32_t kSpaces[] = {'\t', '\n', '\v',   '\f',   '\r',   ' ',    0x1C,
                                         0x85, 0xA0, 0x1680, 0x2003, 0x2028, 0x202F, 0x3000};
  static constexpr char32_t kAsciiBits[] = {'\'', 'a', 'Z', '0', '9', '.', ',', '-', '<', '&'};
  std::uniform_int_distribution<int> kind(0, 9);
  const auto in = [&](char32_t lo, char32_t hi) {
    return std::uniform_int_distribution<char32_t>(lo, hi)(*rng);
  };
  switch (kind(*rng)) {
    case 0:
    case 1:
      return in(0x20, 0x7E);
    case 2:
      return kAsciiBits[in(0, std::size(kAsciiBits) - 1)];
    case 3:
      return kSpaces[in(0, std::size(kSpaces) - 1)];
    case 4:
      return in(0x00, 0x1F);
    case 5:
      return in(0x80, 0x52F);  // Latin-1, Latin Extended, IPA, combining marks, Greek, Cyrillic
    case 6:
      return in(0x4E00, 0x9FFF);  // CJK
    case 7:
      return in(0x1F300, 0x1FAFF);  // emoji, 4 bytes
    case 8: {
      char32_t cp = in(0x800, 0xFFFF);
      return (cp >= 0xD800 && cp <= 0xDFFF) ? kReplacementCharacter : cp;
    }
    default:
      return in(0x10000, kMaxCodePoint);
  }
}

std::string RandomUtf8(std::mt19937* rng, int max_code_points) {
  const int n = std::uniform_int_distribution<int>(0, max_code_points)(*rng);
  std::string s;
  for (int i = 0; i < n; ++i) AppendUtf8(RandomCodePoint(rng), &s);
  return s;
}

}  // namespace sf::tokenization
