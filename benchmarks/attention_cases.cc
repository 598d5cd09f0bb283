#include "benchmarks/attention_cases.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace sf::benchmarks {
namespace {

struct Shape {
  int64_t batch, heads, d_model;
};

void AddGroup(std::vector<AttentionCase>& grid, const std::string& pass, const std::string& mask,
              Shape shape, const std::vector<int64_t>& lengths) {
  for (int64_t len : lengths) {
    for (const std::string& impl : AttentionImplementations()) {
      if (pass == "forward_backward" && !SupportsBackward(impl)) continue;
      grid.push_back({impl, pass, mask, shape.batch, shape.heads, shape.d_model, len});
    }
  }
}

}  // namespace

std::string AttentionCase::Name() const {
  return absl::StrCat("attention/", implementation, "/", pass, "/", mask, "/B", batch, "/H", heads,
                      "/D", d_model, "/L", length);
}

absl::StatusOr<Preset> ParsePreset(const std::string& name) {
  if (name == "quick") return Preset::kQuick;
  if (name == "full") return Preset::kFull;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown preset '", name, "' (expected quick or full)"));
}

const std::vector<std::string>& AttentionImplementations() {
  static const std::vector<std::string> kImplementations = {
      kBaselineImplementation, "native_mha", "sdpa", "reference", "fused"};
  return kImplementations;
}

bool MaterializesScores(const std::string& implementation) { return implementation != "fused"; }

bool SupportsBackward(const std::string& implementation) { return implementation != "native_mha"; }

std::vector<AttentionCase> AttentionGrid(Preset preset) {
  std::vector<AttentionCase> grid;
  if (preset == Preset::kQuick) {
    const Shape base{2, 4, 128};
    for (const char* mask : {"none", "causal"}) {
      AddGroup(grid, "forward", mask, base, {64, 128, 256, 512, 1024});
    }
    for (const char* mask : {"window", "padding"}) {
      AddGroup(grid, "forward", mask, base, {256, 512, 1024});
    }
    AddGroup(grid, "forward_backward", "none", base, {128, 256, 512});
    AddGroup(grid, "forward", "none", {2, 8, 256}, {128, 512});
    return grid;
  }
  const Shape base{4, 8, 256};
  const std::vector<int64_t> all_lengths = {64, 128, 256, 512, 1024, 2048, 4096, 8192};
  for (const char* pass : {"forward", "forward_backward"}) {
    for (const char* mask : {"none", "causal", "window", "padding"}) {
      AddGroup(grid, pass, mask, base, all_lengths);
    }
  }
  for (int64_t d_model : {128, 512}) {
    for (const char* mask : {"none", "causal"}) {
      AddGroup(grid, "forward", mask, {4, d_model / 32, d_model}, {128, 512, 2048, 8192});
    }
  }
  for (int64_t batch : {1, 16}) {
    AddGroup(grid, "forward", "none", {batch, 8, 256}, {256, 1024, 4096});
  }
  return grid;
}

int64_t KeyLength(const AttentionCase& c, int64_t b) {
  if (c.mask != "padding") return c.length;
  return std::max<int64_t>(1, c.length - b * c.length / (2 * c.batch));
}

double UsefulFlops(const AttentionCase& c) {
  const double len = static_cast<double>(c.length);
  double pairs = 0;  // allowed (query, key) pairs over the batch
  for (int64_t b = 0; b < c.batch; ++b) {
    if (c.mask == "causal") {
      pairs += len * (len + 1) / 2;
    } else if (c.mask == "window") {
      for (int64_t i = 0; i < c.length; ++i) {
        pairs += std::min(c.length - 1, i + kWindowHalfWidth) - std::max<int64_t>(0, i - kWindowHalfWidth) + 1;
      }
    } else {
      pairs += len * static_cast<double>(KeyLength(c, b));
    }
  }
  const double d = static_cast<double>(c.d_model);
  const double forward = 8.0 * c.batch * len * d * d + 4.0 * d * pairs;
  return c.pass == "forward_backward" ? 3 * forward : forward;
}

double DenseScoresMib(const AttentionCase& c) {
  if (!MaterializesScores(c.implementation)) return 0;
  const double copies = c.pass == "forward_backward" ? 6 : 4;
  return copies * 4.0 * c.batch * c.heads * static_cast<double>(c.length) * c.length /
         (1024.0 * 1024.0);
}

}  // namespace sf::benchmarks
