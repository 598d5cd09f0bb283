// GPT-2's reversible map between bytes and printable code points, the spelling byte-level BPE
// vocabularies use (vocab.json, merges.txt): printable Latin-1 bytes stand for themselves and
// the other 68 bytes (controls, space, soft hyphen...) for U+0100..U+0143, so ' ' is 'Ġ'
// (U+0120) and '\n' is 'Ċ' (U+010A).
//
//   std::string token = sf::tokenization::BytesToByteLevel(" the");     // "Ġthe"
//   absl::StatusOr<std::string> bytes = sf::tokenization::ByteLevelToBytes("Ġthe");  // " the"
#ifndef SCRATCHFORMER_TOKENIZATION_BYTE_LEVEL_H_
#define SCRATCHFORMER_TOKENIZATION_BYTE_LEVEL_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sf::tokenization {

char32_t ByteToCodePoint(uint8_t byte);
// The byte `cp` stands for, or nullopt when it is not one of the 256 code points of the map.
std::optional<uint8_t> CodePointToByte(char32_t cp);

std::string BytesToByteLevel(absl::string_view bytes);
// InvalidArgument naming the offending character when `text` is not a byte-level spelling.
absl::StatusOr<std::string> ByteLevelToBytes(absl::string_view text);

}  // namespace sf::tokenization

#endif  // SCRATCHFORMER_TOKENIZATION_BYTE_LEVEL_H_
