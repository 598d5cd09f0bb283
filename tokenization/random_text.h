// Random valid UTF-8 strings for round-trip tests: a mix of ASCII, Latin-1, Greek, Cyrillic,
// CJK, emoji (4-byte), combining marks and every kind of Unicode whitespace, so pre-tokeniser
// boundaries and multi-byte sequences are exercised together.
//
//   std::mt19937 rng(1);
//   std::string s = sf::tokenization::RandomUtf8(&rng, /*max_code_points=*/40);
#ifndef SCRATCHFORMER_TOKENIZATION_RANDOM_TEXT_H_
#define SCRATCHFORMER_TOKENIZATION_RANDOM_TEXT_H_

#include <random>
#include <string>

namespace sf::tokenization {

// A random code point: surrogates excluded, all planes possible.
char32_t RandomCodePoint(std::mt19937* rng);

// Up to `max_code_points` code points (possibly none).
std::string RandomUtf8(std::mt19937* rng, int max_code_points);

}  // namespace sf::tokenization

#endif  // SCRATCHFORMER_TOKENIZATION_RANDOM_TEXT_H_
