#include "tokenization/bpe_trainer.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "tokenization/byte_level.h"
#include "tokenization/normalizer.h"
#include "tokenization/corpus_counter.h"
#include "tokenization/pre_tokenizer.h"

namespace sf::tokenization {
namespace {

uint64_t Key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}
int32_t Left(uint64_t key) { return static_cast<int32_t>(key >> 32); }
int32_t Right(uint64_t key) { return static_cast<int32_t>(key & 0xFFFFFFFFu); }

struct Word {
  std::vector<int32_t> symbols;
  int64_t count;
};

struct HeapEntry {
  int64_t count;
  uint64_t pair;
};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::vector<ByteMerge> LearnBpeMerges(const absl::flat_hash_map<std::string, int64_t>& word_counts,
                                      int64_t num_new_tokens, int64_t min_pair_frequency,
                                      const absl::flat_hash_set<std::string>& forbidden) {
  std::vector<std::string> tokens;
  absl::flat_hash_map<std::string, int32_t> token_ids;
  for (int b = 0; b < 256; ++b) {
    tokens.emplace_back(1, static_cast<char>(b));
    token_ids.emplace(tokens.back(), b);
  }

  // Words in byte order, so the work below happens in the same order on every run.
  std::vector<const std::pair<const std::string, int64_t>*> sorted;
  sorted.reserve(word_counts.size());
  for (const auto& entry : word_counts) sorted.push_back(&entry);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  std::vector<Word> words;
  words.reserve(sorted.size());
  for (const auto* entry : sorted) {
    Word w;
    w.count = entry->second;
    w.symbols.reserve(entry->first.size());
    for (char c : entry->first) w.symbols.push_back(static_cast<uint8_t>(c));
    words.push_back(std::move(w));
  }

  // Pair counts weighted by word frequency, and the words each pair occurs in (a word may stay
  // listed after it lost the pair; merging it then finds nothing).
  absl::flat_hash_map<uint64_t, int64_t> pair_counts;
  absl::flat_hash_map<uint64_t, std::vector<int32_t>> pair_words;
  const auto note_word = [&](uint64_t key, int32_t w) {
    std::vector<int32_t>& list = pair_words[key];
    if (list.empty() || list.back() != w) list.push_back(w);
  };
  for (int32_t w = 0; w < static_cast<int32_t>(words.size()); ++w) {
    const std::vector<int32_t>& s = words[w].symbols;
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      const uint64_t key = Key(s[i], s[i + 1]);
      pair_counts[key] += words[w].count;
      note_word(key, w);
    }
  }

  // Max-heap on count; equal counts prefer the byte-wise smaller (left, right).
  const auto lower_priority = [&](const HeapEntry& x, const HeapEntry& y) {
    if (x.count != y.count) return x.count < y.count;
    const std::string& xl = tokens[Left(x.pair)];
    const std::string& yl = tokens[Left(y.pair)];
    if (xl != yl) return xl > yl;
    return tokens[Right(x.pair)] > tokens[Right(y.pair)];
  };
  std::vector<HeapEntry> heap;
  for (const auto& [key, count] : pair_counts) {
    if (count >= min_pair_frequency) heap.push_back({count, key});
  }
  std::make_heap(heap.begin(), heap.end(), lower_priority);
  const auto push = [&](HeapEntry e) {
    heap.push_back(e);
    std::push_heap(heap.begin(), heap.end(), lower_priority);
  };

  std::vector<ByteMerge> merges;
  absl::flat_hash_map<uint64_t, int64_t> delta;
  std::vector<int32_t> merged;
  int64_t new_tokens = 0;
  while (new_tokens < num_new_tokens && !heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), lower_priority);
    const HeapEntry top = heap.back();
    heap.pop_back();
    auto found = pair_counts.find(top.pair);
    const int64_t current = found == pair_counts.end() ? 0 : found->second;
    if (current != top.count) {  // stale: counts of existing pairs only go down
      if (current >= min_pair_frequency) push({current, top.pair});
      continue;
    }
    if (top.count < min_pair_frequency) break;
    const int32_t a = Left(top.pair), b = Right(top.pair);
    std::string bytes = tokens[a] + tokens[b];
    if (forbidden.contains(bytes)) continue;
    auto [slot, inserted] = token_ids.try_emplace(bytes, static_cast<int32_t>(tokens.size()));
    const int32_t c = slot->second;
    if (inserted) {
      tokens.push_back(std::move(bytes));
      ++new_tokens;
    }
    merges.emplace_back(tokens[a], tokens[b]);

    delta.clear();
    std::vector<int32_t> touched = std::move(pair_words[top.pair]);
    pair_words.erase(top.pair);
    for (int32_t w : touched) {
      std::vector<int32_t>& s = words[w].symbols;
      const int64_t count = words[w].count;
      bool changed = false;
      merged.clear();
      for (size_t i = 0; i < s.size();) {
        if (i + 1 < s.size() && s[i] == a && s[i + 1] == b) {
          changed = true;
          // Neighbours lose their pair with a or b and gain one with c. A left neighbour
          // already merged in this word is c itself, which keeps the bookkeeping exact for
          // runs such as "a b a b" and "a a a".
          if (!merged.empty()) {
            delta[Key(merged.back(), a)] -= count;
            delta[Key(merged.back(), c)] += count;
          }
          if (i + 2 < s.size()) {
            delta[Key(b, s[i + 2])] -= count;
            delta[Key(c, s[i + 2])] += count;
          }
          merged.push_back(c);
          i += 2;
        } else {
          merged.push_back(s[i]);
          ++i;
        }
      }
      if (!changed) continue;
      s.swap(merged);
      for (size_t i = 0; i + 1 < s.size(); ++i) {
        if (s[i] == c || s[i + 1] == c) note_word(Key(s[i], s[i + 1]), w);
      }
    }
    pair_counts.erase(top.pair);  // every occurrence is merged now
    for (const auto& [key, d] : delta) {
      if (key == top.pair || d == 0) continue;
      int64_t& count = pair_counts[key];
      count += d;
      // Pairs gaining count involve c; queue them with their final count.
      if (d > 0 && count >= min_pair_frequency) push({count, key});
      if (count == 0) pair_counts.erase(key);
    }
  }
  return merges;
}

absl::StatusOr<std::unique_ptr<BpeTokenizer>> TrainBpe(absl::Span<const std::string> texts,
                                                       const BpeTrainerOptions& options,
                                                       BpeTrainingStats* stats) {
  const int64_t fixed = static_cast<int64_t>(options.specials.size()) + 256;
  if (options.vocab_size < fixed) {
    return absl::InvalidArgumentError(absl::StrCat("vocab_size ", options.vocab_size,
                                                   " cannot hold the ", options.specials.size(),
                                                   " special tokens and 256 byte tokens"));
  }
  if (options.min_pair_frequency < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_pair_frequency must be at least 1, got ", options.min_pair_frequency));
  }
  const auto count_start = std::chrono::steady_clock::now();
  const Normalizer normalizer(options.tokenizer.normalizer);
  const PreTokenizer pre_tokenizer(options.tokenizer.pre_tokenizer);
  absl::StatusOr<TokenCounter> counted =
      CountPieces(texts, normalizer, pre_tokenizer, options.threads);
  if (!counted.ok()) return counted.status();
  const TokenCounter& total = *counted;
  const double count_seconds = SecondsSince(count_start);

  const auto merge_start = std::chrono::steady_clock::now();
  std::vector<std::string> tokens;
  std::vector<Vocabulary::Special> specials;
  absl::flat_hash_set<std::string> forbidden;
  for (SpecialToken s : options.specials) {
    tokens.push_back(DefaultSpecialText(s));
    specials.emplace_back(s, DefaultSpecialText(s));
    forbidden.insert(DefaultSpecialText(s));
  }
  const std::vector<ByteMerge> byte_merges = LearnBpeMerges(
      total.counts(), options.vocab_size - fixed, options.min_pair_frequency, forbidden);
  for (int b = 0; b < 256; ++b)
    tokens.push_back(BytesToByteLevel(std::string(1, static_cast<char>(b))));
  absl::flat_hash_set<std::string> seen(tokens.begin(), tokens.end());
  std::vector<BpeTokenizer::Merge> merges;
  merges.reserve(byte_merges.size());
  for (const auto& [left, right] : byte_merges) {
    std::string spelled = BytesToByteLevel(left + right);
    if (seen.insert(spelled).second) tokens.push_back(std::move(spelled));
    merges.emplace_back(BytesToByteLevel(left), BytesToByteLevel(right));
  }
  absl::StatusOr<Vocabulary> vocab = Vocabulary::FromTokens(std::move(tokens), specials);
  if (!vocab.ok()) return vocab.status();
  absl::StatusOr<std::unique_ptr<BpeTokenizer>> tok =
      BpeTokenizer::Create(*std::move(vocab), std::move(merges), options.tokenizer);
  if (stats != nullptr) {
    stats->total_words = total.total();
    stats->distinct_words = static_cast<int64_t>(total.counts().size());
    stats->merges = static_cast<int64_t>(byte_merges.size());
    stats->count_seconds = count_seconds;
    stats->merge_seconds = SecondsSince(merge_start);
  }
  return tok;
}

}  // namespace sf::tokenization
