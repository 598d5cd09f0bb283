#include "tokenization/bpe_tokenizer.h"

#include <algorithm>
#include <functional>
#include <mutex>
#include <shared_mutex>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "tokenization/byte_level.h"

namespace sf::tokenization {

// std::shared_mutex rather than absl::Mutex: Debian's Abseil runs its mutexes with deadlock
// detection on, which updates a global lock graph on every acquisition (it shows in profiles)
// and would serialise the shards.
struct BpeTokenizer::CacheShard {
  mutable std::shared_mutex mu;
  absl::flat_hash_map<std::string, std::vector<TokenId>> pieces;  // guarded by mu
};

BpeTokenizer::BpeTokenizer(Vocabulary vocab, std::vector<Merge> merges, const BpeOptions& options)
    : vocab_(std::move(vocab)),
      merges_(std::move(merges)),
      options_(options),
      normalizer_(options.normalizer),
      pre_tokenizer_(options.pre_tokenizer) {
  if (options.cache_capacity > 0) {
    cache_ = std::make_unique<CacheShard[]>(kCacheShards);
    shard_capacity_ = std::max<size_t>(1, options.cache_capacity / kCacheShards);
  }
}

BpeTokenizer::~BpeTokenizer() = default;

absl::StatusOr<std::unique_ptr<BpeTokenizer>> BpeTokenizer::Create(Vocabulary vocab,
                                                                   std::vector<Merge> merges,
                                                                   const BpeOptions& options) {
  std::unique_ptr<BpeTokenizer> tok(new BpeTokenizer(std::move(vocab), std::move(merges), options));
  const Vocabulary& v = tok->vocab_;
  tok->token_bytes_.resize(v.size());
  for (TokenId id = 0; id < v.size(); ++id) {
    if (v.IsSpecial(id)) {
      tok->token_bytes_[id] = v.Token(id);
      continue;
    }
    absl::StatusOr<std::string> bytes = ByteLevelToBytes(v.Token(id));
    if (!bytes.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("vocabulary token ", id, ": ", bytes.status().message()));
    }
    tok->token_bytes_[id] = *std::move(bytes);
  }
  for (int b = 0; b < 256; ++b) {
    std::string spelling = BytesToByteLevel(std::string(1, static_cast<char>(b)));
    std::optional<TokenId> id = v.Find(spelling);
    if (!id) {
      return absl::InvalidArgumentError(
          absl::StrCat("the vocabulary lacks the token '", spelling, "' of byte ", b,
                       " (byte-level BPE needs all 256 byte tokens)"));
    }
    if (v.IsSpecial(*id)) {
      std::string roles;
      for (const auto& [role, text] : v.specials()) {
        if (text == spelling) {
          absl::StrAppend(&roles, roles.empty() ? "" : ", ", SpecialTokenName(role));
        }
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "the token '", spelling, "' of byte ", b, " is a special token (", roles,
          "): byte-level BPE needs all 256 byte tokens as ordinary tokens, so give the special "
          "another text"));
    }
    tok->byte_ids_[b] = *id;
  }
  const std::vector<Merge>& m = tok->merges_;
  tok->merge_targets_.reserve(m.size());
  for (size_t rank = 0; rank < m.size(); ++rank) {
    const auto& [left, right] = m[rank];
    std::optional<TokenId> l = v.Find(left), r = v.Find(right), out = v.Find(left + right);
    const char* missing = !l ? "left token" : !r ? "right token" : !out ? "merged token" : nullptr;
    if (missing != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("merge ", rank, " ('", left, "' '", right,
                                                     "'): its ", missing,
                                                     " is not in the vocabulary"));
    }
    if (v.IsSpecial(*out) || v.IsSpecial(*l) || v.IsSpecial(*r)) {
      return absl::InvalidArgumentError(absl::StrCat("merge ", rank, " ('", left, "' '", right,
                                                     "') involves the special token '",
                                                     v.Token(v.IsSpecial(*out) ? *out
                                                             : v.IsSpecial(*l) ? *l
                                                                               : *r),
                                                     "'"));
    }
    auto [it, inserted] =
        tok->merge_targets_.emplace(PairKey(*l, *r), MergeTarget{static_cast<int32_t>(rank), *out});
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat("merge ", rank, " ('", left, "' '", right,
                                                     "') repeats merge ", it->second.rank));
    }
  }
  return tok;
}

void BpeTokenizer::EncodePieceUncached(absl::string_view piece, std::vector<TokenId>* ids) const {
  struct Symbol {
    TokenId id;
    int32_t prev;
    int32_t next;
  };
  // (rank, position of the pair's left symbol): the lowest rank merges first and, among
  // equal ranks (the same pair), the leftmost, as GPT-2's loop does.
  using Candidate = std::pair<int32_t, int32_t>;
  const int32_t n = static_cast<int32_t>(piece.size());
  if (n == 0) return;
  absl::InlinedVector<Symbol, 32> symbols(n);
  absl::InlinedVector<Candidate, 32> heap;
  for (int32_t i = 0; i < n; ++i) {
    symbols[i] = {byte_ids_[static_cast<uint8_t>(piece[i])], i - 1, i + 1 < n ? i + 1 : -1};
  }
  const auto candidate = [&](int32_t i) {
    const int32_t j = symbols[i].next;
    if (j < 0) return;
    auto it = merge_targets_.find(PairKey(symbols[i].id, symbols[j].id));
    if (it == merge_targets_.end()) return;
    heap.emplace_back(it->second.rank, i);
    std::push_heap(heap.begin(), heap.end(), std::greater<Candidate>());
  };
  for (int32_t i = 0; i + 1 < n; ++i) candidate(i);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<Candidate>());
    const auto [rank, i] = heap.back();
    heap.pop_back();
    // A merged-away symbol has id -1; a pair changed since it was queued has another rank.
    const int32_t j = symbols[i].next;
    if (symbols[i].id < 0 || j < 0) continue;
    auto it = merge_targets_.find(PairKey(symbols[i].id, symbols[j].id));
    if (it == merge_targets_.end() || it->second.rank != rank) continue;
    symbols[i].id = it->second.result;
    symbols[j].id = -1;
    symbols[i].next = symbols[j].next;
    if (symbols[i].next >= 0) symbols[symbols[i].next].prev = i;
    if (symbols[i].prev >= 0) candidate(symbols[i].prev);
    candidate(i);
  }
  for (int32_t i = 0; i >= 0; i = symbols[i].next) ids->push_back(symbols[i].id);
}

void BpeTokenizer::EncodePiece(absl::string_view piece, std::vector<TokenId>* ids) const {
  if (piece.size() == 1) {
    ids->push_back(byte_ids_[static_cast<uint8_t>(piece[0])]);
    return;
  }
  if (cache_ == nullptr || piece.size() > kMaxCachedPieceBytes) {
    EncodePieceUncached(piece, ids);
    return;
  }
  // A cheap shard choice (the map hashes the piece again anyway).
  const size_t spread =
      piece.size() * 131 + static_cast<uint8_t>(piece[0]) * 31 + static_cast<uint8_t>(piece.back());
  CacheShard& shard = cache_[spread % kCacheShards];
  {
    std::shared_lock<std::shared_mutex> lock(shard.mu);
    auto it = shard.pieces.find(piece);
    if (it != shard.pieces.end()) {
      ids->insert(ids->end(), it->second.begin(), it->second.end());
      return;
    }
  }
  const size_t start = ids->size();
  EncodePieceUncached(piece, ids);
  std::unique_lock<std::shared_mutex> lock(shard.mu);
  if (shard.pieces.size() >= shard_capacity_) shard.pieces.clear();
  shard.pieces.try_emplace(piece, ids->begin() + start, ids->end());
}

absl::Status BpeTokenizer::EncodeTo(absl::string_view text, std::vector<TokenId>* ids) const {
  std::string scratch;
  absl::StatusOr<absl::string_view> normalized = normalizer_.Normalize(text, &scratch);
  if (!normalized.ok()) return normalized.status();
  pre_tokenizer_.Split(*normalized, [&](absl::string_view piece) { EncodePiece(piece, ids); });
  return absl::OkStatus();
}

std::string BpeTokenizer::DecodeChecked(absl::Span<const TokenId> ids) const {
  std::string text;
  for (TokenId id : ids) text += token_bytes_[id];
  return text;
}

int64_t BpeTokenizer::cache_size() const {
  if (cache_ == nullptr) return 0;
  int64_t size = 0;
  for (int s = 0; s < kCacheShards; ++s) {
    std::shared_lock<std::shared_mutex> lock(cache_[s].mu);
    size += static_cast<int64_t>(cache_[s].pieces.size());
  }
  return size;
}

void BpeTokenizer::ClearCache() const {
  if (cache_ == nullptr) return;
  for (int s = 0; s < kCacheShards; ++s) {
    std::unique_lock<std::shared_mutex> lock(cache_[s].mu);
    cache_[s].pieces.clear();
  }
}

}  // namespace sf::tokenization
