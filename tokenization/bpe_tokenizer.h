// Byte-level BPE (GPT-2, RoBERTa): text is split by GPT-2's pattern, each piece is taken as
// bytes and the learned merges are applied, lowest rank first. Every byte has a token, so any
// input encodes without <unk>, and decode(encode(s)) == s for every valid UTF-8 string under
// the default (identity) normaliser.
//
//   absl::StatusOr<std::unique_ptr<BpeTokenizer>> tok =
//       TrainBpe(lines, BpeTrainerOptions().VocabSize(16000));           // bpe_trainer.h
//   absl::StatusOr<std::vector<TokenId>> ids = (*tok)->Encode("Hello world");
//   // tokens "Hello" "Ġworld" (vocabulary spelling, byte_level.h)
//
// Encoding a piece merges with a heap over adjacent pairs keyed by (rank, position): O(n log n)
// in the piece length, so a megabyte without spaces is as safe as a word. Encoded pieces are
// kept in a bounded cache shared by all threads (natural text repeats its words), in shards
// with their own locks so parallel batch encoding does not serialise on it.
#ifndef SCRATCHFORMER_TOKENIZATION_BPE_TOKENIZER_H_
#define SCRATCHFORMER_TOKENIZATION_BPE_TOKENIZER_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "tokenization/normalizer.h"
#include "tokenization/pre_tokenizer.h"
#include "tokenization/tokenizer.h"
#include "tokenization/vocabulary.h"

namespace sf::tokenization {

struct BpeOptions {
  NormalizerOptions normalizer;  // identity: the text is kept byte for byte
  PreTokenizerKind pre_tokenizer = PreTokenizerKind::kGpt2;
  int64_t cache_capacity = 1 << 17;  // pieces remembered (0: no cache); a full shard is cleared

  BpeOptions& WithNormalizer(const NormalizerOptions& v) {
    normalizer = v;
    return *this;
  }
  BpeOptions& WithPreTokenizer(PreTokenizerKind v) {
    pre_tokenizer = v;
    return *this;
  }
  BpeOptions& CacheCapacity(int64_t v) {
    cache_capacity = v;
    return *this;
  }
  // The cache does not change results, so it is not part of a tokenizer's identity.
  bool operator==(const BpeOptions& o) const {
    return normalizer == o.normalizer && pre_tokenizer == o.pre_tokenizer;
  }
};

class BpeTokenizer : public Tokenizer {
 public:
  // (left, right) in vocabulary spelling; index in the list = rank.
  using Merge = std::pair<std::string, std::string>;

  // `vocab` must hold the 256 byte tokens (ByteToCodePoint spelling), and for every merge the
  // left, right and concatenated tokens; no merge may produce a special token. Tokens other
  // than specials must be byte-level spellings. InvalidArgument naming the first violation.
  static absl::StatusOr<std::unique_ptr<BpeTokenizer>> Create(
      Vocabulary vocab, std::vector<Merge> merges, const BpeOptions& options = BpeOptions());

  ~BpeTokenizer() override;

  std::string type() const override { return "bpe"; }
  const Vocabulary& vocabulary() const override { return vocab_; }
  const std::vector<Merge>& merges() const { return merges_; }
  const BpeOptions& options() const { return options_; }

  // Raw bytes of token `id` (which must be inside the vocabulary); specials give their text.
  const std::string& TokenBytes(TokenId id) const { return token_bytes_[id]; }

  // Appends the ids of one pre-tokenised piece of raw bytes, bypassing the cache.
  void EncodePieceUncached(absl::string_view piece, std::vector<TokenId>* ids) const;

  int64_t cache_size() const;
  void ClearCache() const;

 protected:
  absl::Status EncodeTo(absl::string_view text, std::vector<TokenId>* ids) const override;
  std::string DecodeChecked(absl::Span<const TokenId> ids) const override;

 private:
  struct MergeTarget {
    int32_t rank;
    TokenId result;
  };
  struct CacheShard;
  static constexpr int kCacheShards = 32;
  // Pieces longer than this are rare and not worth a cache slot.
  static constexpr size_t kMaxCachedPieceBytes = 128;

  BpeTokenizer(Vocabulary vocab, std::vector<Merge> merges, const BpeOptions& options);
  static uint64_t PairKey(TokenId left, TokenId right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
           static_cast<uint32_t>(right);
  }
  void EncodePiece(absl::string_view piece, std::vector<TokenId>* ids) const;

  Vocabulary vocab_;
  std::vector<Merge> merges_;
  BpeOptions options_;
  Normalizer normalizer_;
  PreTokenizer pre_tokenizer_;
  std::array<TokenId, 256> byte_ids_{};
  std::vector<std::string> token_bytes_;
  absl::flat_hash_map<uint64_t, MergeTarget> merge_targets_;
  std::unique_ptr<CacheShard[]> cache_;
  size_t shard_capacity_ = 0;
};

}  // namespace sf::tokenization

#endif  // SCRATCHFORMER_TOKENIZATION_BPE_TOKENIZER_H_
