#include "training/early_stopping.h"

#include <cmath>

#include <c10/util/Exception.h>

#include "absl/strings/str_cat.h"

namespace sf::training {

absl::StatusOr<MetricMode> ParseMetricMode(const std::string& name) {
  if (name == "min") return MetricMode::kMin;
  if (name == "max") return MetricMode::kMax;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown metric mode '", name, "': use min or max"));
}

std::string MetricModeName(MetricMode mode) { return mode == MetricMode::kMin ? "min" : "max"; }

EarlyStopping::EarlyStopping(const EarlyStoppingOptions& options) : options_(options) {
  TORCH_CHECK(options.patience >= 0, "patience must be >= 0, got ", options.patience);
  TORCH_CHECK(options.min_delta >= 0, "min_delta must be >= 0, got ", options.min_delta);
}

bool EarlyStopping::Update(double value, int64_t step) {
  bool improved = false;
  if (!std::isnan(value)) {
    if (!has_best()) {
      improved = true;
    } else if (options_.mode == MetricMode::kMin) {
      improved = value < best_ - options_.min_delta;
    } else {
      improved = value > best_ + options_.min_delta;
    }
  }
  if (improved) {
    best_ = value;
    best_step_ = step;
    evaluations_since_best_ = 0;
  } else {
    ++evaluations_since_best_;
  }
  return improved;
}

bool EarlyStopping::ShouldStop() const {
  return options_.patience > 0 && evaluations_since_best_ >= options_.patience;
}

nlohmann::json EarlyStopping::ToJson() const {
  nlohmann::json j = {{"metric", options_.metric},
                      {"mode", MetricModeName(options_.mode)},
                      {"best_step", best_step_},
                      {"evaluations_since_best", evaluations_since_best_}};
  // JSON has no infinities; a best of +-inf is kept as a string.
  if (std::isfinite(best_)) {
    j["best"] = best_;
  } else {
    j["best"] = best_ > 0 ? "inf" : "-inf";
  }
  return j;
}

absl::Status EarlyStopping::FromJson(const nlohmann::json& state) {
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(
        absl::StrCat("early-stopping state ", state.dump(), " is not usable: ", why));
  };
  if (!state.is_object()) return bad("not a JSON object");
  for (const char* key : {"metric", "mode", "best", "best_step", "evaluations_since_best"}) {
    if (!state.contains(key)) return bad(absl::StrCat("no '", key, "'"));
  }
  if (!state["metric"].is_string() || state["metric"] != options_.metric) {
    return bad(absl::StrCat("it watches another metric than '", options_.metric, "'"));
  }
  if (!state["mode"].is_string() || state["mode"] != MetricModeName(options_.mode)) {
    return bad(absl::StrCat("its mode is not '", MetricModeName(options_.mode), "'"));
  }
  if (!state["best_step"].is_number_integer() ||
      !state["evaluations_since_best"].is_number_integer() ||
      state["evaluations_since_best"].get<int64_t>() < 0) {
    return bad("counters are not non-negative integers");
  }
  const nlohmann::json& best = state["best"];
  double value = 0.0;
  if (best.is_number()) {
    value = best.get<double>();
  } else if (best == "inf") {
    value = INFINITY;
  } else if (best == "-inf") {
    value = -INFINITY;
  } else {
    return bad("'best' is not a number");
  }
  best_ = value;
  best_step_ = state["best_step"].get<int64_t>();
  evaluations_since_best_ = state["evaluations_since_best"].get<int>();
  return absl::OkStatus();
}

}  // namespace sf::training
