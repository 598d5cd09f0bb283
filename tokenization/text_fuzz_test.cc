// Fuzz target: arbitrary bytes through UTF-8 handling, normalisation and every tokenizer.
// Beyond "no crash", it checks the properties the tokenizers promise:
//   - ReplaceInvalidUtf8 yields valid UTF-8, equal to the input when the input was valid;
//   - BPE and char tokenizers round-trip any valid UTF-8 text: decode(encode(s)) == s;
//   - every id a tokenizer produces is inside its vocabulary.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "tokenization/testing/sample_tokenizers.h"
#include "tokenization/unicode.h"

namespace {

using sf::tokenization::TokenId;
using sf::tokenization::Tokenizer;

void Fail(const char* what, absl::string_view input) {
  std::fprintf(stderr, "property violated: %s (input of %zu bytes)\n", what, input.size());
  std::abort();
}

void CheckIds(const Tokenizer& tok, const std::vector<TokenId>& ids, absl::string_view input) {
  for (TokenId id : ids) {
    if (id < 0 || id >= tok.vocabulary().size()) Fail("id outside the vocabulary", input);
  }
}

void CheckRoundTrip(const Tokenizer& tok, absl::string_view text, bool valid_utf8) {
  absl::StatusOr<std::vector<TokenId>> ids = tok.Encode(text);
  if (!ids.ok()) return;  // invalid UTF-8 may be rejected, with an error, by design
  CheckIds(tok, *ids, text);
  absl::StatusOr<std::string> decoded = tok.Decode(*ids);
  if (!decoded.ok()) Fail("decode of encoder output failed", text);
  if (valid_utf8 && *decoded != text) Fail("decode(encode(s)) != s", text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace tok = sf::tokenization;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const bool valid = tok::FindInvalidUtf8(input) == input.size();
  if (valid != tok::ValidateUtf8(input).ok()) Fail("FindInvalidUtf8 and ValidateUtf8 disagree", input);

  std::string repaired;
  tok::ReplaceInvalidUtf8(input, &repaired);
  if (tok::FindInvalidUtf8(repaired) != repaired.size()) Fail("repair left invalid UTF-8", input);
  if (valid && repaired != input) Fail("repair changed valid UTF-8", input);

  std::string lower;
  tok::AppendLowercaseUtf8(repaired, &lower);
  if (tok::FindInvalidUtf8(lower) != lower.size()) Fail("lower-casing broke UTF-8", input);

  const tok::testing::SampleTokenizers& t = tok::testing::GetSampleTokenizers();
  CheckRoundTrip(*t.bpe, input, valid);
  CheckRoundTrip(*t.chars, input, valid);
  absl::StatusOr<std::vector<TokenId>> words = t.word->Encode(input);
  if (words.ok()) CheckIds(*t.word, *words, input);
  return 0;
}
