// Saving and loading tokenizers as one self-describing JSON file, and reading GPT-2 style
// `vocab.json` + `merges.txt` (the files of GPT-2, RoBERTa and HuggingFace ByteLevelBPE).
//
// The file carries everything needed to rebuild the tokenizer exactly:
//   {
//     "format": "scratchformer-tokenizer", "version": 1, "type": "bpe",   // or "word", "char"
//     "normalizer": {"lowercase": false, "strip_html": false, "remove_control": false,
//                    "fold_whitespace": false, "invalid_utf8": "replace"},
//     "pre_tokenizer": "gpt2",                     // word and bpe
//     "byte_fallback": true,                       // char
//     "specials": {"pad": "<pad>", "unk": "<unk>", ...},
//     "vocab": ["<pad>", ..., "Ġthe", ...],       // index = id
//     "merges": ["Ġ t", "h e", ...]                 // bpe, "left right", index = rank
//   }
//
//   absl::Status s = SaveTokenizer(*tok, "/tmp/imdb_words.json");
//   absl::StatusOr<std::unique_ptr<Tokenizer>> any = LoadTokenizer("/tmp/imdb_words.json");
//   absl::StatusOr<std::unique_ptr<BpeTokenizer>> bpe = LoadBpeTokenizer("wiki_bpe.json");
//   absl::StatusOr<std::unique_ptr<BpeTokenizer>> gpt2 =
//       LoadGpt2Tokenizer("gpt2/vocab.json", "gpt2/merges.txt");
//
// Every error names the file and what is wrong with it: unreadable, not JSON (with the byte
// offset), another format or version, another tokenizer type than asked for, a missing or
// mistyped field, or contents that do not form a valid tokenizer.
#ifndef SCRATCHFORMER_TOKENIZATION_TOKENIZER_IO_H_
#define SCRATCHFORMER_TOKENIZATION_TOKENIZER_IO_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tokenization/bpe_tokenizer.h"
#include "tokenization/char_tokenizer.h"
#include "tokenization/tokenizer.h"
#include "tokenization/vocabulary.h"
#include "tokenization/word_tokenizer.h"

namespace sf::tokenization {

inline constexpr char kTokenizerFormat[] = "scratchformer-tokenizer";
inline constexpr int kTokenizerFormatVersion = 1;

// The file's JSON text. InvalidArgument when a token is not valid UTF-8 (JSON cannot hold it).
absl::StatusOr<std::string> TokenizerToJson(const Tokenizer& tokenizer);
// Parses the JSON text of a tokenizer; `source` (a path) prefixes every error message.
absl::StatusOr<std::unique_ptr<Tokenizer>> TokenizerFromJson(absl::string_view json,
                                                             absl::string_view source);

// Writes through a temporary file and a rename, so a crash never leaves half a file.
absl::Status SaveTokenizer(const Tokenizer& tokenizer, const std::string& path);

absl::StatusOr<std::unique_ptr<Tokenizer>> LoadTokenizer(const std::string& path);
// As LoadTokenizer, but InvalidArgument when the file holds another type of tokenizer.
absl::StatusOr<std::unique_ptr<WordTokenizer>> LoadWordTokenizer(const std::string& path);
absl::StatusOr<std::unique_ptr<CharTokenizer>> LoadCharTokenizer(const std::string& path);
absl::StatusOr<std::unique_ptr<BpeTokenizer>> LoadBpeTokenizer(const std::string& path);

// bos and eos = "<|endoftext|>", GPT-2's only special token.
std::vector<Vocabulary::Special> Gpt2Specials();

// `vocab_json` maps token -> id (ids must be 0..n-1, each once); `merges_txt` holds one
// "left right" pair per line after an optional "#version" line. Each of `specials` must be in
// the vocabulary (pass {} for a vocabulary without <|endoftext|>).
absl::StatusOr<std::unique_ptr<BpeTokenizer>> LoadGpt2Tokenizer(
    const std::string& vocab_json, const std::string& merges_txt,
    const std::vector<Vocabulary::Special>& specials = Gpt2Specials(),
    const BpeOptions& options = BpeOptions());

}  // namespace sf::tokenization

#endif  // SCRATCHFORMER_TOKENIZATION_TOKENIZER_IO_H_
