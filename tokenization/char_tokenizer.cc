#include "tokenization/char_tokenizer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "tokenization/parallel.h"
#include "tokenization/unicode.h"

namespace sf::tokenization {
namespace {

// The byte of a "<0xNN>" token (upper-case hex), or -1.
int ParseByteFallback(absl::string_view token) {
  if (token.size() != 6 || token.substr(0, 3) != "<0x" || token[5] != '>') return -1;
  int value = 0;
  for (char c : token.substr(3, 2)) {
    value *= 16;
    if (c >= '0' && c <= '9') {
      value += c - '0';
    } else if (c >= 'A' && c <= 'F') {
      value += c - 'A' + 10;
    } else {
      return -1;
    }
  }
  return value;
}

}  // namespace

std::string ByteFallbackToken(uint8_t byte) { return absl::StrFormat("<0x%02X>", byte); }

CharTokenizer::CharTokenizer(Vocabulary vocab, const CharTokenizerOptions& options)
    : vocab_(std::move(vocab)),
      options_(options),
      normalizer_(options.normalizer),
      unk_id_(vocab_.special_id(SpecialToken::kUnk)) {
  ascii_ids_.fill(-1);
  byte_ids_.fill(-1);
  fallback_byte_.assign(vocab_.size(), -1);
}

absl::StatusOr<std::unique_ptr<CharTokenizer>> CharTokenizer::Create(
    Vocabulary vocab, const CharTokenizerOptions& options) {
  std::unique_ptr<CharTokenizer> tok(new CharTokenizer(std::move(vocab), options));
  const Vocabulary& v = tok->vocab_;
  std::array<TokenId, 256> fallback;
  fallback.fill(-1);
  for (TokenId id = 0; id < v.size(); ++id) {
    if (v.IsSpecial(id)) continue;
    const std::string& token = v.Token(id);
    if (const int byte = ParseByteFallback(token); byte >= 0) {
      fallback[byte] = id;
      tok->fallback_byte_[id] = static_cast<int16_t>(byte);
      continue;
    }
    if (token.empty() || FindInvalidUtf8(token) != token.size() ||
        DecodeUtf8(token, 0).length != static_cast<int>(token.size())) {
      return absl::InvalidArgumentError(
          absl::StrCat("character vocabulary token ", id, " '", token,
                       "' is neither one character, a special token nor a <0xNN> byte token"));
    }
    const char32_t cp = DecodeUtf8(token, 0).code_point;
    if (cp < 128) {
      tok->ascii_ids_[cp] = id;
    } else {
      tok->char_ids_[cp] = id;
    }
  }
  if (options.byte_fallback) {
    for (int b = 0; b < 256; ++b) {
      if (fallback[b] < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("byte fallback is on but the vocabulary lacks ",
                         ByteFallbackToken(static_cast<uint8_t>(b))));
      }
    }
    tok->byte_ids_ = fallback;
  } else if (!tok->unk_id_) {
    return absl::InvalidArgumentError(
        "without byte fallback a character vocabulary needs an unk special token");
  }
  return tok;
}

absl::StatusOr<std::unique_ptr<CharTokenizer>> CharTokenizer::Train(
    absl::Span<const std::string> texts, const CharTokenizerOptions& options,
    const VocabularyOptions& vocab_options, int threads) {
  const Normalizer normalizer(options.normalizer);
  TokenCounter total;
  absl::Mutex mu;
  size_t first_error = texts.size();
  absl::Status error;
  ParallelFor(static_cast<int64_t>(texts.size()), threads, [&](int64_t begin, int64_t end) {
    // Counting code points in a dense array first keeps the hash map out of the inner loop.
    absl::flat_hash_map<char32_t, int64_t> counts;
    std::array<int64_t, 128> ascii{};
    std::string scratch;
    for (int64_t i = begin; i < end; ++i) {
      absl::StatusOr<absl::string_view> text = normalizer.Normalize(texts[i], &scratch);
      if (!text.ok()) {
        absl::MutexLock lock(&mu);
        if (static_cast<size_t>(i) < first_error) {
          first_error = i;
          error = text.status();
        }
        return;
      }
      for (size_t pos = 0; pos < text->size();) {
        const Utf8Char c = DecodeUtf8(*text, pos);
        if (c.code_point < 128) {
          ++ascii[c.code_point];
        } else {
          ++counts[c.code_point];
        }
        pos += c.length;
      }
    }
    TokenCounter local;
    std::string utf8;
    for (char32_t cp = 0; cp < 128; ++cp) {
      if (ascii[cp] > 0) local.Add(std::string(1, static_cast<char>(cp)), ascii[cp]);
    }
    for (const auto& [cp, count] : counts) {
      utf8.clear();
      AppendUtf8(cp, &utf8);
      local.Add(utf8, count);
    }
    absl::MutexLock lock(&mu);
    total.Merge(local);
  });
  if (first_error < texts.size()) {
    return absl::Status(error.code(), absl::StrCat("text ", first_error, ": ", error.message()));
  }
  VocabularyOptions with_bytes = vocab_options;
  if (options.byte_fallback) {
    std::vector<std::string> reserved;
    for (int b = 0; b < 256; ++b) reserved.push_back(ByteFallbackToken(static_cast<uint8_t>(b)));
    reserved.insert(reserved.end(), vocab_options.reserved.begin(), vocab_options.reserved.end());
    with_bytes.reserved = std::move(reserved);
  }
  absl::StatusOr<Vocabulary> vocab = Vocabulary::Build(total, with_bytes);
  if (!vocab.ok()) return vocab.status();
  return Create(*std::move(vocab), options);
}

absl::Status CharTokenizer::EncodeTo(absl::string_view text, std::vector<TokenId>* ids) const {
  std::string scratch;
  absl::StatusOr<absl::string_view> normalized = normalizer_.Normalize(text, &scratch);
  if (!normalized.ok()) return normalized.status();
  const absl::string_view s = *normalized;
  ids->reserve(ids->size() + s.size());
  const auto unknown = [&](size_t pos, int length) {
    if (options_.byte_fallback) {
      for (int i = 0; i < length; ++i) ids->push_back(byte_ids_[static_cast<uint8_t>(s[pos + i])]);
    } else {
      ids->push_back(*unk_id_);
    }
  };
  for (size_t pos = 0; pos < s.size();) {
    const auto b = static_cast<unsigned char>(s[pos]);
    if (b < 0x80) {
      if (ascii_ids_[b] >= 0) {
        ids->push_back(ascii_ids_[b]);
      } else {
        unknown(pos, 1);
      }
      ++pos;
      continue;
    }
    const Utf8Char c = DecodeUtf8(s, pos);
    auto it = char_ids_.find(c.code_point);
    if (it != char_ids_.end()) {
      ids->push_back(it->second);
    } else {
      unknown(pos, c.length);
    }
    pos += c.length;
  }
  return absl::OkStatus();
}

std::string CharTokenizer::DecodeChecked(absl::Span<const TokenId> ids) const {
  std::string text;
  text.reserve(ids.size());
  for (TokenId id : ids) {
    if (fallback_byte_[id] >= 0) {
      text.push_back(static_cast<char>(fallback_byte_[id]));
    } else {
      text += vocab_.Token(id);
    }
  }
  return text;
}

}  // namespace sf::tokenization
