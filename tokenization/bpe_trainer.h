// Learns byte-level BPE merges from a corpus (Sennrich et al. 2016 on bytes, as GPT-2).
//
// The corpus is reduced to distinct pre-tokenised words with their counts (in parallel), then
// merges are learned on those: pair counts are kept in a table updated incrementally after
// each merge (only the words containing the merged pair are touched), and the next pair comes
// from a max-heap with lazy deletion. Ties between equally frequent pairs go to the pair whose
// (left bytes, right bytes) is smallest byte-wise, so results do not depend on hashing or
// threads.
//
//   BpeTrainingStats stats;
//   absl::StatusOr<std::unique_ptr<BpeTokenizer>> tok =
//       TrainBpe(lines, BpeTrainerOptions().VocabSize(16000).Threads(0), &stats);
//   // vocabulary: <pad> <unk> <bos> <eos> <cls> <mask>, 256 bytes, then merged tokens
#ifndef SCRATCHFORMER_TOKENIZATION_BPE_TRAINER_H_
#define SCRATCHFORMER_TOKENIZATION_BPE_TRAINER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tokenization/bpe_tokenizer.h"
#include "tokenization/vocabulary.h"

namespace sf::tokenization {

// A merge as raw bytes (not the vocabulary's byte-level spelling).
using ByteMerge = std::pair<std::string, std::string>;

// Learns merges from `word_counts` (raw-byte words and how often each occurs) until
// `num_new_tokens` tokens beyond the 256 bytes exist or the most frequent pair occurs fewer
// than `min_pair_frequency` times. A pair whose concatenation is in `forbidden` is never
// merged (the trainer passes the specials' texts, so text can never produce a special id).
// When a merge produces bytes an earlier merge already produced, the token is shared and does
// not count as new.
std::vector<ByteMerge> LearnBpeMerges(const absl::flat_hash_map<std::string, int64_t>& word_counts,
                                      int64_t num_new_tokens, int64_t min_pair_frequency = 2,
                                      const absl::flat_hash_set<std::string>& forbidden = {});

struct BpeTrainerOptions {
  int64_t vocab_size = 16000;      // specials + 256 bytes + merged tokens
  int64_t min_pair_frequency = 2;  // merging stops early below this
  std::vector<SpecialToken> specials = AllSpecialTokens();
  BpeOptions tokenizer;  // normaliser and pre-tokeniser used for training too
  int threads = 1;       // for counting words; 0: all cores

  BpeTrainerOptions& VocabSize(int64_t v) {
    vocab_size = v;
    return *this;
  }
  BpeTrainerOptions& MinPairFrequency(int64_t v) {
    min_pair_frequency = v;
    return *this;
  }
  BpeTrainerOptions& Specials(std::vector<SpecialToken> v) {
    specials = std::move(v);
    return *this;
  }
  BpeTrainerOptions& WithTokenizer(const BpeOptions& v) {
    tokenizer = v;
    return *this;
  }
  BpeTrainerOptions& Threads(int v) {
    threads = v;
    return *this;
  }
};

struct BpeTrainingStats {
  int64_t total_words = 0;  // pieces in the corpus
  int64_t distinct_words = 0;
  int64_t merges = 0;
  double count_seconds = 0;  // normalising, splitting and counting
  double merge_seconds = 0;  // learning the merges
};

// Errors: vocab_size below specials + 256, min_pair_frequency < 1, or a text the normaliser
// rejects (prefixed with its index).
absl::StatusOr<std::unique_ptr<BpeTokenizer>> TrainBpe(absl::Span<const std::string> texts,
                                                       const BpeTrainerOptions& options,
                                                       BpeTrainingStats* stats = nullptr);

}  // namespace sf::tokenization

#endif  // SCRATCHFORMER_TOKENIZATION_BPE_TRAINER_H_
