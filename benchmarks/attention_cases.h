// The grid of attention benchmark configurations, shared by the Google Benchmark suite
// (attention_benchmark) and the report that runs each configuration in its own process.
//
//   for (const sf::benchmarks::AttentionCase& c :
//        sf::benchmarks::AttentionGrid(sf::benchmarks::Preset::kQuick)) {
//     c.Name();         // "attention/fused/forward/causal/B2/H4/D128/L512"
//     UsefulFlops(c);   // for GFLOP/s
//   }
//
// Implementations, all a whole self-attention layer on [batch, L, d_model] with the same
// weights (input projection, attention, output projection):
//   reference   our MultiHeadAttention, reference backend (plain tensor ops)
//   fused       our MultiHeadAttention, fused flash-style backend (never builds L x L scores)
//   sdpa        our MultiHeadAttention, LibTorch backend: at::_scaled_dot_product_attention
//   torch_mha   torch::nn::MultiheadAttention (the LibTorch baseline for speedups and agreement)
//   native_mha  at::_native_multi_head_attention, the inference fast path (forward only)
// Masks: none, causal, window (keys within +-kWindowHalfWidth of the query, a fixed width), and
// padding (sequence b of B has L - b*L/(2B) valid keys).
#ifndef SCRATCHFORMER_BENCHMARKS_ATTENTION_CASES_H_
#define SCRATCHFORMER_BENCHMARKS_ATTENTION_CASES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace sf::benchmarks {

inline constexpr int64_t kWindowHalfWidth = 64;
inline constexpr char kBaselineImplementation[] = "torch_mha";

struct AttentionCase {
  std::string implementation;
  std::string pass;  // "forward" or "forward_backward"
  std::string mask;  // "none", "causal", "window", "padding"
  int64_t batch = 1;
  int64_t heads = 1;
  int64_t d_model = 8;
  int64_t length = 1;

  // "attention/<implementation>/<pass>/<mask>/B<batch>/H<heads>/D<d_model>/L<length>".
  std::string Name() const;
};

enum class Preset { kQuick, kFull };

// "quick" | "full"; InvalidArgument naming the value otherwise.
absl::StatusOr<Preset> ParsePreset(const std::string& name);

// Baseline first, so that a report printing speedups has it when the others finish.
const std::vector<std::string>& AttentionImplementations();

// False only for the fused kernel, which streams over key tiles.
bool MaterializesScores(const std::string& implementation);

// at::_native_multi_head_attention has no autograd formula.
bool SupportsBackward(const std::string& implementation);

// Every configuration of the preset, ordered by group, then length, then implementation.
std::vector<AttentionCase> AttentionGrid(Preset preset);

// Valid key count of sequence b under the padding mask (all L otherwise).
int64_t KeyLength(const AttentionCase& c, int64_t b);

// Useful floating-point operations of one call: projections 8 B L d^2 plus 4 d per allowed
// (query, key) pair; forward + backward counts 3x the forward.
double UsefulFlops(const AttentionCase& c);

// MiB an implementation that materialises the scores holds in L x L buffers at its peak
// (scores, probabilities and their copies: 4 in forward, 6 with backward); 0 for the fused one.
double DenseScoresMib(const AttentionCase& c);

}  // namespace sf::benchmarks

#endif  // SCRATCHFORMER_BENCHMARKS_ATTENTION_CASES_H_
