#include "tools/visualize/mask_patterns.h"

#include <ATen/ATen.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "attention/masks.h"

namespace sf::visualize {

absl::StatusOr<std::vector<MaskPattern>> BuildMaskPatterns(const MaskPatternOptions& options) {
  const int64_t len = options.length;
  if (len < 1 || len > kMaxPatternLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("length must be in [1, ", kMaxPatternLength, "], got ", len));
  }
  if (options.window < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("window must be >= 0, got ", options.window));
  }
  for (int64_t position : options.global_tokens) {
    if (position < 0 || position >= len) {
      return absl::InvalidArgumentError(absl::StrCat(
          "global token ", position, " is outside [0, ", len, ") for length ", len));
    }
  }
  if (options.valid_length < 1 || options.valid_length > len) {
    return absl::InvalidArgumentError(absl::StrCat("valid length must be in [1, ", len,
                                                   "], got ", options.valid_length));
  }

  using attention::MaskSpec;
  const int64_t w = options.window;
  const at::Tensor lengths = at::full({1}, options.valid_length, at::kLong);
  const std::string globals = absl::StrCat("{", absl::StrJoin(options.global_tokens, ","), "}");
  const std::string window = absl::StrCat("window \u00b1", w);
  const std::string padding = absl::StrCat("padding (", options.valid_length, " valid)");
  const MaskSpec sliding = MaskSpec().WithSlidingWindow(w, w);
  const auto dense = [len](const MaskSpec& spec) { return spec.Materialize(len, len)[0][0]; };

  std::vector<MaskPattern> patterns;
  patterns.push_back({"no mask", dense(MaskSpec())});
  patterns.push_back({"causal", dense(MaskSpec::Causal())});
  patterns.push_back({absl::StrCat("sliding ", window), dense(sliding)});
  patterns.push_back({absl::StrCat("causal + window ", w), dense(MaskSpec::Causal().WithSlidingWindow(w, 0))});
  patterns.push_back({absl::StrCat("global tokens ", globals),
                      attention::GlobalTokenMask(len, options.global_tokens)});
  patterns.push_back({padding, dense(MaskSpec().WithKeyLengths(lengths))});
  patterns.push_back({absl::StrCat(window, " + global ", globals),
                      dense(sliding.WithGlobalTokens(options.global_tokens))});
  patterns.push_back({absl::StrCat("causal + ", padding),
                      dense(MaskSpec::Causal().WithKeyLengths(lengths))});
  patterns.push_back({absl::StrCat(window, " + global + padding"),
                      dense(sliding.WithGlobalTokens(options.global_tokens).WithKeyLengths(lengths))});
  for (MaskPattern& p : patterns) p.allowed = p.allowed.to(at::kBool).contiguous();
  return patterns;
}

}  // namespace sf::visualize
