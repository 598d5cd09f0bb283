// The corpora the language model trains on, as one stream of token ids per split, with the
// tokenizer that made them:
//
//   --corpus=wikitext2       wiki.{train,valid,test}.tokens, word level: every distinct word of
//                            the training file (33,278 with <unk>, and one <eos> per line), so
//                            perplexities compare with published WikiText-2 results;
//   --corpus=wikitext2_raw   wiki.{train,valid,test}.raw, byte-level BPE learnt on train;
//   --corpus=text            any plain text file (default tiny-shakespeare), character level,
//                            the last `valid_fraction` of the text held out for validation.
//
//   absl::StatusOr<sf::tasks::wiki::LmCorpus> corpus = sf::tasks::wiki::LoadCorpus(
//       {.kind = CorpusKind::kWikiText2, .data_dir = "../shared/data/wikitext-2"});
//   corpus->train;          // int64 [N] token ids, in file order
//   corpus->tokenizer->Decode(...);
//
// Without a data_dir the data set comes from the download cache (//tools/download), fetched on
// first use; offline, the error names the data set and the --data_dir flag.
#ifndef SCRATCHFORMER_TASKS_WIKI_LM_CORPUS_H_
#define SCRATCHFORMER_TASKS_WIKI_LM_CORPUS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "absl/status/statusor.h"
#include "tokenization/tokenizer.h"
#include "tokenization/word_tokenizer.h"
#include "tools/download/dataset_cache.h"

namespace sf::tasks::wiki {

enum class CorpusKind { kWikiText2, kWikiText2Raw, kText };

// "wikitext2" | "wikitext2_raw" | "text"; InvalidArgument naming the value otherwise.
absl::StatusOr<CorpusKind> ParseCorpusKind(const std::string& name);
std::string CorpusKindName(CorpusKind kind);

struct CorpusOptions {
  CorpusKind kind = CorpusKind::kWikiText2;
  std::string data_dir;   // the data set folder; empty: the download cache
  std::string text_file;  // kText: the file; empty: tiny-shakespeare from data_dir or the cache
  int64_t bpe_vocab_size = 8000;  // kWikiText2Raw
  double valid_fraction = 0.1;    // kText
  int threads = 1;                // for tokenizer training and encoding
  download::CacheOptions cache;
};

struct LmCorpus {
  std::unique_ptr<tokenization::Tokenizer> tokenizer;
  at::Tensor train;  // int64 [N]
  at::Tensor valid;  // int64 [N]
  at::Tensor test;   // int64 [N], undefined when the data set folder has no test file
  std::string description;  // where the text came from, for logs
};

absl::StatusOr<LmCorpus> LoadCorpus(const CorpusOptions& options);

// The WikiText word-level tokenizer: every word of `train_words` (as ReadWordsWithEos returns
// them), with <unk> and <eos> as specials and no other, split on whitespace, text kept as is.
absl::StatusOr<std::unique_ptr<tokenization::WordTokenizer>> WikiTextWordTokenizer(
    const std::vector<std::string>& train_words);

// Ids of `words` (unknown words -> <unk>), int64 [words.size()].
at::Tensor EncodeWords(const tokenization::Vocabulary& vocab,
                       const std::vector<std::string>& words);

// Ids of `text` encoded line by line (so the work spreads over threads), int64 [N].
absl::StatusOr<at::Tensor> EncodeText(const tokenization::Tokenizer& tokenizer,
                                      const std::string& text, int threads);

// Text of `ids` for people: word-level tokens joined by spaces with <eos> as a line break.
std::string DecodeForDisplay(const tokenization::Tokenizer& tokenizer,
                             const std::vector<tokenization::TokenId>& ids);

}  // namespace sf::tasks::wiki

#endif  // SCRATCHFORMER_TASKS_WIKI_LM_CORPUS_H_
