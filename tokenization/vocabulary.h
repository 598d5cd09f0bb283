// A bidirectional token <-> id table with named special tokens, and its construction from
// token counts with a minimum frequency and a maximum size.
//
// The order is deterministic: specials first (in the order asked for), then tokens by
// decreasing count, ties broken by byte-wise ascending token, so the same corpus always gives
// the same ids whatever the hash-map iteration order or thread count.
//
//   sf::tokenization::TokenCounter counter;
//   counter.Add("the"); counter.Add("cat"); counter.Add("the");
//   absl::StatusOr<Vocabulary> vocab = Vocabulary::Build(
//       counter, VocabularyOptions().MinFreq(1).MaxSize(30000));
//   // ids: <pad>=0 <unk>=1 <bos>=2 <eos>=3 <cls>=4 <mask>=5 the=6 cat=7
//   std::optional<TokenId> unk = vocab->special_id(SpecialToken::kUnk);
#ifndef SCRATCHFORMER_TOKENIZATION_VOCABULARY_H_
#define SCRATCHFORMER_TOKENIZATION_VOCABULARY_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sf::tokenization {

using TokenId = int32_t;

enum class SpecialToken { kPad, kUnk, kBos, kEos, kCls, kMask };
inline constexpr int kNumSpecialTokens = 6;

// All six, in the order above: the default specials of every tokenizer.
std::vector<SpecialToken> AllSpecialTokens();
// "pad", "unk", ... (the JSON keys) and the default texts "<pad>", "<unk>", ...
std::string SpecialTokenName(SpecialToken special);
std::string DefaultSpecialText(SpecialToken special);
absl::StatusOr<SpecialToken> ParseSpecialTokenName(absl::string_view name);

// Counts of tokens over a corpus; counters from several threads combine with Merge.
class TokenCounter {
 public:
  void Add(absl::string_view token, int64_t count = 1);
  void Merge(const TokenCounter& other);
  const absl::flat_hash_map<std::string, int64_t>& counts() const { return counts_; }
  int64_t total() const { return total_; }

 private:
  absl::flat_hash_map<std::string, int64_t> counts_;
  int64_t total_ = 0;
};

struct VocabularyOptions {
  int64_t min_freq = 1;  // tokens seen fewer times are left out (they map to <unk>)
  int64_t max_size = 0;  // upper bound on the size, specials and reserved included; 0 = no bound
  std::vector<SpecialToken> specials = AllSpecialTokens();
  // Placed right after the specials whatever their counts (a character tokenizer's byte
  // fallback tokens, a BPE model's 256 byte tokens).
  std::vector<std::string> reserved;

  VocabularyOptions& MinFreq(int64_t v) {
    min_freq = v;
    return *this;
  }
  VocabularyOptions& MaxSize(int64_t v) {
    max_size = v;
    return *this;
  }
  VocabularyOptions& Specials(std::vector<SpecialToken> v) {
    specials = std::move(v);
    return *this;
  }
  VocabularyOptions& Reserved(std::vector<std::string> v) {
    reserved = std::move(v);
    return *this;
  }
};

class Vocabulary {
 public:
  // A special role and the token text that plays it.
  using Special = std::pair<SpecialToken, std::string>;

  Vocabulary() = default;

  // `tokens` in id order. Each special's text must be one of the tokens (several roles may
  // share one, as GPT-2's <|endoftext|> is both bos and eos). InvalidArgument names a
  // duplicated token or a special text that is missing.
  static absl::StatusOr<Vocabulary> FromTokens(std::vector<std::string> tokens,
                                               const std::vector<Special>& specials);

  // Specials (default texts) first, then the reserved tokens, then the counted tokens as
  // described at the top. InvalidArgument when min_freq < 1, max_size < 0, max_size cannot
  // hold the specials and reserved tokens, or a token is given twice.
  static absl::StatusOr<Vocabulary> Build(const TokenCounter& counter,
                                          const VocabularyOptions& options);

  // Orders `counts` for Build: decreasing count, then ascending bytes; drops count < min_freq.
  static std::vector<std::string> SortByFrequency(
      const absl::flat_hash_map<std::string, int64_t>& counts, int64_t min_freq);

  int64_t size() const { return static_cast<int64_t>(tokens_.size()); }
  bool Contains(TokenId id) const { return id >= 0 && id < size(); }
  std::optional<TokenId> Find(absl::string_view token) const;
  // The token of `id`, which must satisfy Contains(id).
  const std::string& Token(TokenId id) const { return tokens_[id]; }
  const std::vector<std::string>& tokens() const { return tokens_; }

  std::optional<TokenId> special_id(SpecialToken special) const;
  bool IsSpecial(TokenId id) const;
  const std::vector<Special>& specials() const { return specials_; }

  bool operator==(const Vocabulary& other) const {
    return tokens_ == other.tokens_ && specials_ == other.specials_;
  }

 private:
  // token -> id as open addressing, at most half full. A slot holds the token's first 8 bytes
  // and its length beside the id, so a lookup reads one slot and, for tokens of up to 8 bytes
  // (most words), never the token strings: the slot load is the one cache miss of a lookup,
  // which is most of the time of word-level encoding.
  struct IndexSlot {
    uint64_t head = 0;         // the token's first min(8, size) bytes, zero-padded
    uint32_t tag_size = 0;     // hash bits above the slot index << 8 | min(size, 255)
    uint32_t id_plus_one = 0;  // 0: empty
  };

  static IndexSlot KeyOf(absl::string_view token, uint64_t* hash);
  // Slot of `token` (whose KeyOf is `key`, `hash`) in index_: where it is, or the empty slot
  // where it would go.
  size_t Probe(absl::string_view token, const IndexSlot& key, uint64_t hash) const;

  std::vector<std::string> tokens_;
  std::vector<IndexSlot> index_;
  std::vector<Special> specials_;
  std::array<TokenId, kNumSpecialTokens> special_ids_{-1, -1, -1, -1, -1, -1};
  std::vector<TokenId> special_id_list_;  // sorted, for IsSpecial
};

}  // namespace sf::tokenization

#endif  // SCRATCHFORMER_TOKENIZATION_VOCABULARY_H_
