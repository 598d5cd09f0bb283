// Counts the pre-tokenised pieces of a corpus, in parallel: the first step of building a
// word vocabulary and of training BPE.
//
//   absl::StatusOr<TokenCounter> counts =
//       CountPieces(texts, Normalizer(options.normalizer), PreTokenizer(options.pre_tokenizer),
//                   /*threads=*/0);
#ifndef SCRATCHFORMER_TOKENIZATION_CORPUS_COUNTER_H_
#define SCRATCHFORMER_TOKENIZATION_CORPUS_COUNTER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tokenization/normalizer.h"
#include "tokenization/pre_tokenizer.h"
#include "tokenization/vocabulary.h"

namespace sf::tokenization {

// Normalises and splits every text and counts the pieces. `threads` as in ParallelFor. When a
// text fails to normalise (invalid UTF-8 under the reject policy), returns the error of the
// lowest such index, prefixed with "text <index>: ".
absl::StatusOr<TokenCounter> CountPieces(absl::Span<const std::string> texts,
                                         const Normalizer& normalizer,
                                         const PreTokenizer& pre_tokenizer, int threads);

}  // namespace sf::tokenization

#endif  // SCRATCHFORMER_TOKENIZATION_CORPUS_COUNTER_H_
