#include "tokenization/corpus_counter.h"

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "tokenization/parallel.h"

namespace sf::tokenization {

absl::StatusOr<TokenCounter> CountPieces(absl::Span<const std::string> texts,
                                         const Normalizer& normalizer,
                                         const PreTokenizer& pre_tokenizer, int threads) {
  TokenCounter total;
  absl::Mutex mu;
  size_t first_error = texts.size();
  absl::Status error;
  ParallelFor(static_cast<int64_t>(texts.size()), threads, [&](int64_t begin, int64_t end) {
    TokenCounter local;
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
      pre_tokenizer.Split(*text, [&](absl::string_view piece) { local.Add(piece); });
    }
    absl::MutexLock lock(&mu);
    total.Merge(local);
  });
  if (first_error < texts.size()) {
    return absl::Status(error.code(), absl::StrCat("text ", first_error, ": ", error.message()));
  }
  return total;
}

}  // namespace sf::tokenization
