// The attention mask kinds of attention/masks.h side by side at one sequence length, for the
// `patterns` mode of visualize_attention: no mask, causal, a sliding window, causal with a
// window (Mistral), global tokens, key padding, and their combinations (Longformer's window
// plus global tokens, with and without padding).
//
//   absl::StatusOr<std::vector<MaskPattern>> patterns =
//       BuildMaskPatterns({.length = 16, .window = 2, .global_tokens = {0}, .valid_length = 12});
//   (*patterns)[1].name;     // "causal"
//   (*patterns)[1].allowed;  // bool [16, 16], true = query row may attend to key column
//
// Every dense mask comes from MaskSpec::Materialize (or GlobalTokenMask for the global part
// alone), so the pictures show exactly the rule every attention backend applies.
#ifndef SCRATCHFORMER_TOOLS_VISUALIZE_MASK_PATTERNS_H_
#define SCRATCHFORMER_TOOLS_VISUALIZE_MASK_PATTERNS_H_

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "absl/status/statusor.h"

namespace sf::visualize {

struct MaskPatternOptions {
  int64_t length = 16;                       // queries = keys
  int64_t window = 2;                        // sliding window: this many keys each side
  std::vector<int64_t> global_tokens = {0};  // positions in [0, length)
  int64_t valid_length = 12;                 // padding: keys at j >= valid_length are padding
};

// The longest length drawn: beyond it a cell is under a pixel on any screen.
inline constexpr int64_t kMaxPatternLength = 512;

struct MaskPattern {
  std::string name;
  at::Tensor allowed;  // bool [length, length]
};

// Nine patterns, in a fixed order (3 x 3 when drawn as a grid). InvalidArgument naming the
// value when length is outside [1, kMaxPatternLength], window < 0, a global token is outside
// [0, length) or valid_length is outside [1, length].
absl::StatusOr<std::vector<MaskPattern>> BuildMaskPatterns(const MaskPatternOptions& options);

}  // namespace sf::visualize

#endif  // SCRATCHFORMER_TOOLS_VISUALIZE_MASK_PATTERNS_H_
