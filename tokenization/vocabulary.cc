#include "tokenization/vocabulary.h"

#include <algorithm>
#include <cstring>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"

namespace sf::tokenization {

std::vector<SpecialToken> AllSpecialTokens() {
  return {SpecialToken::kPad, SpecialToken::kUnk, SpecialToken::kBos,
          SpecialToken::kEos, SpecialToken::kCls, SpecialToken::kMask};
}

std::string SpecialTokenName(SpecialToken special) {
  switch (special) {
    case SpecialToken::kPad:
      return "pad";
    case SpecialToken::kUnk:
      return "unk";
    case SpecialToken::kBos:
      return "bos";
    case SpecialToken::kEos:
      return "eos";
    case SpecialToken::kCls:
      return "cls";
    case SpecialToken::kMask:
      return "mask";
  }
  return "unknown";
}

std::string DefaultSpecialText(SpecialToken special) {
  return absl::StrCat("<", SpecialTokenName(special), ">");
}

absl::StatusOr<SpecialToken> ParseSpecialTokenName(absl::string_view name) {
  for (SpecialToken s : AllSpecialTokens()) {
    if (name == SpecialTokenName(s)) return s;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown special token role '", name,
                                                 "' (expected pad, unk, bos, eos, cls or mask)"));
}

void TokenCounter::Add(absl::string_view token, int64_t count) {
  counts_[token] += count;
  total_ += count;
}

void TokenCounter::Merge(const TokenCounter& other) {
  for (const auto& [token, count] : other.counts_) counts_[token] += count;
  total_ += other.total_;
}

Vocabulary::IndexSlot Vocabulary::KeyOf(absl::string_view token, uint64_t* hash) {
  IndexSlot key;
  if (!token.empty()) {
    std::memcpy(&key.head, token.data(), std::min<size_t>(token.size(), sizeof(key.head)));
  }
  *hash = absl::Hash<absl::string_view>()(token);
  key.tag_size = static_cast<uint32_t>(*hash >> 40) << 8 |
                 static_cast<uint32_t>(std::min<size_t>(token.size(), 255));
  return key;
}

size_t Vocabulary::Probe(absl::string_view token, const IndexSlot& key, uint64_t hash) const {
  const size_t mask = index_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    const IndexSlot& slot = index_[i];
    if (slot.id_plus_one == 0) return i;
    // Head and size identify tokens of up to 8 bytes; longer ones are compared in full.
    if (slot.tag_size == key.tag_size && slot.head == key.head &&
        (token.size() <= sizeof(key.head) || tokens_[slot.id_plus_one - 1] == token)) {
      return i;
    }
  }
}

absl::StatusOr<Vocabulary> Vocabulary::FromTokens(std::vector<std::string> tokens,
                                                  const std::vector<Special>& specials) {
  Vocabulary vocab;
  vocab.tokens_ = std::move(tokens);
  size_t capacity = 16;
  while (capacity < 2 * vocab.tokens_.size()) capacity *= 2;
  vocab.index_.assign(capacity, IndexSlot());
  for (size_t i = 0; i < vocab.tokens_.size(); ++i) {
    uint64_t hash;
    IndexSlot key = KeyOf(vocab.tokens_[i], &hash);
    IndexSlot& slot = vocab.index_[vocab.Probe(vocab.tokens_[i], key, hash)];
    if (slot.id_plus_one != 0) {
      return absl::InvalidArgumentError(absl::StrCat("token '", vocab.tokens_[i],
                                                     "' appears twice, at ids ",
                                                     slot.id_plus_one - 1, " and ", i));
    }
    key.id_plus_one = static_cast<uint32_t>(i + 1);
    slot = key;
  }
  for (const auto& [role, text] : specials) {
    const int slot = static_cast<int>(role);
    if (vocab.special_ids_[slot] >= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("special role '", SpecialTokenName(role), "' is given twice"));
    }
    std::optional<TokenId> id = vocab.Find(text);
    if (!id) {
      return absl::InvalidArgumentError(absl::StrCat(
          "special token '", text, "' (", SpecialTokenName(role), ") is not in the vocabulary"));
    }
    vocab.special_ids_[slot] = *id;
    vocab.special_id_list_.push_back(*id);
  }
  vocab.specials_ = specials;
  std::sort(vocab.special_id_list_.begin(), vocab.special_id_list_.end());
  return vocab;
}

std::vector<std::string> Vocabulary::SortByFrequency(
    const absl::flat_hash_map<std::string, int64_t>& counts, int64_t min_freq) {
  std::vector<std::pair<int64_t, const std::string*>> order;
  order.reserve(counts.size());
  for (const auto& [token, count] : counts) {
    if (count >= min_freq) order.emplace_back(count, &token);
  }
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : *a.second < *b.second;
  });
  std::vector<std::string> tokens;
  tokens.reserve(order.size());
  for (const auto& [count, token] : order) tokens.push_back(*token);
  return tokens;
}

absl::StatusOr<Vocabulary> Vocabulary::Build(const TokenCounter& counter,
                                             const VocabularyOptions& options) {
  if (options.min_freq < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_freq must be at least 1, got ", options.min_freq));
  }
  const int64_t num_fixed = static_cast<int64_t>(options.specials.size() + options.reserved.size());
  if (options.max_size < 0 || (options.max_size > 0 && options.max_size < num_fixed)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_size ", options.max_size, " cannot hold the ", options.specials.size(),
        " special and ", options.reserved.size(), " reserved tokens (0 means no bound)"));
  }
  std::vector<std::string> tokens;
  std::vector<Special> specials;
  absl::flat_hash_set<std::string> fixed;
  for (SpecialToken s : options.specials) {
    tokens.push_back(DefaultSpecialText(s));
    specials.emplace_back(s, DefaultSpecialText(s));
    fixed.insert(DefaultSpecialText(s));
  }
  for (const std::string& token : options.reserved) {
    tokens.push_back(token);
    fixed.insert(token);
  }
  for (std::string& token : SortByFrequency(counter.counts(), options.min_freq)) {
    if (options.max_size > 0 && static_cast<int64_t>(tokens.size()) >= options.max_size) break;
    // A corpus that already spells a special (WikiText's "<unk>") keeps the special's id.
    if (fixed.contains(token)) continue;
    tokens.push_back(std::move(token));
  }
  return FromTokens(std::move(tokens), specials);
}

std::optional<TokenId> Vocabulary::Find(absl::string_view token) const {
  if (index_.empty()) return std::nullopt;
  uint64_t hash;
  const IndexSlot key = KeyOf(token, &hash);
  const uint32_t id_plus_one = index_[Probe(token, key, hash)].id_plus_one;
  if (id_plus_one == 0) return std::nullopt;
  return static_cast<TokenId>(id_plus_one - 1);
}

std::optional<TokenId> Vocabulary::special_id(SpecialToken special) const {
  const TokenId id = special_ids_[static_cast<int>(special)];
  if (id < 0) return std::nullopt;
  return id;
}

bool Vocabulary::IsSpecial(TokenId id) const {
  return std::binary_search(special_id_list_.begin(), special_id_list_.end(), id);
}

}  // namespace sf::tokenization
