// Small tokenizers of every kind, trained on a fixed multilingual text, for fuzz targets and
// for the seed corpora made from them (tools/fuzz/make_seed_corpora).
//
//   const sf::tokenization::testing::SampleTokenizers& t =
//       sf::tokenization::testing::GetSampleTokenizers();
//   absl::StatusOr<std::vector<TokenId>> ids = t.bpe->Encode(text);
#ifndef SCRATCHFORMER_TOKENIZATION_TESTING_SAMPLE_TOKENIZERS_H_
#define SCRATCHFORMER_TOKENIZATION_TESTING_SAMPLE_TOKENIZERS_H_

#include <memory>
#include <string>
#include <vector>

#include "tokenization/bpe_tokenizer.h"
#include "tokenization/char_tokenizer.h"
#include "tokenization/word_tokenizer.h"

namespace sf::tokenization::testing {

struct SampleTokenizers {
  std::unique_ptr<WordTokenizer> word;
  std::unique_ptr<CharTokenizer> chars;
  std::unique_ptr<BpeTokenizer> bpe;
};

// The training text: English with markup and numbers, accented Latin, Greek, CJK and emoji.
const std::vector<std::string>& SampleTexts();

// Trained once (thread-safe), then shared; dies if training fails (a programming error).
const SampleTokenizers& GetSampleTokenizers();

}  // namespace sf::tokenization::testing

#endif  // SCRATCHFORMER_TOKENIZATION_TESTING_SAMPLE_TOKENIZERS_H_
