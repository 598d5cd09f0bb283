// A minimal parallel loop for CPU work that does not go through LibTorch (tokenisation, corpus
// counting), so the pure tokenizer targets need no thread pool library.
//
//   sf::tokenization::ParallelFor(texts.size(), /*threads=*/0,
//                                 [&](int64_t begin, int64_t end) { ... });
#ifndef SCRATCHFORMER_TOKENIZATION_PARALLEL_H_
#define SCRATCHFORMER_TOKENIZATION_PARALLEL_H_

#include <cstdint>

#include "absl/functional/function_ref.h"

namespace sf::tokenization {

// The number of cores this process may run on (scheduler affinity), at least 1.
int AvailableThreads();

// Calls fn(begin, end) over disjoint chunks covering [0, n), on `threads` threads (0 means
// AvailableThreads(); never more threads than chunks or than 4 per available core, and fewer
// when the system cannot start more). The calling thread is one of them;
// chunks, about `chunks_per_thread` per thread, are handed out dynamically, so uneven work
// balances. More chunks balance better; fewer suit a fn with a cost per call (a merge).
// Returns when all are done.
void ParallelFor(int64_t n, int threads, absl::FunctionRef<void(int64_t, int64_t)> fn,
                 int chunks_per_thread = 8);

}  // namespace sf::tokenization

#endif  // SCRATCHFORMER_TOKENIZATION_PARALLEL_H_
