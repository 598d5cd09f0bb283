// Readers for plain-text corpora: WikiText-2 (tokenised `wiki.<split>.tokens` or raw
// `wiki.<split>.raw`) and any text file such as tiny-shakespeare.
//
//   absl::StatusOr<std::string> path = WikiTextFile("/data/wikitext-2", WikiTextVariant::kTokens,
//                                                   "valid");
//   absl::StatusOr<std::vector<std::string>> words = ReadWordsWithEos(*path);
#ifndef SCRATCHFORMER_DATASETS_TEXT_CORPUS_H_
#define SCRATCHFORMER_DATASETS_TEXT_CORPUS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace sf::datasets {

enum class WikiTextVariant {
  kTokens,  // wikitext-2-v1: tokenised, rare words as <unk>; files wiki.<split>.tokens
  kRaw,     // wikitext-2-raw-v1: original text; files wiki.<split>.raw
};

// `<dir>/wiki.<split>.tokens` (or `.raw`) when it exists; NotFound naming the path otherwise.
absl::StatusOr<std::string> WikiTextFile(const std::string& dir, WikiTextVariant variant,
                                         const std::string& split);

// The whole file. Errors name the path: missing, unreadable, empty, or not valid UTF-8.
absl::StatusOr<std::string> ReadTextFile(const std::string& path);

// Whitespace-separated words of every line followed by "<eos>", as in the usual WikiText
// language-model setup (so wiki.valid.tokens gives 217,646 tokens).
absl::StatusOr<std::vector<std::string>> ReadWordsWithEos(const std::string& path);

}  // namespace sf::datasets

#endif  // SCRATCHFORMER_DATASETS_TEXT_CORPUS_H_
