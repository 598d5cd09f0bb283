#include "datasets/imdb.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tokenization/unicode.h"

namespace sf::datasets {
namespace {

namespace fs = std::filesystem;

// Parses "<id>_<rating>.txt".
bool ParseReviewFileName(const std::string& name, int64_t* id, int* rating) {
  const std::string suffix = ".txt";
  if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(),
                                                   suffix) != 0) {
    return false;
  }
  const std::string stem = name.substr(0, name.size() - suffix.size());
  const size_t underscore = stem.find('_');
  if (underscore == std::string::npos) return false;
  return absl::SimpleAtoi(stem.substr(0, underscore), id) &&
         absl::SimpleAtoi(stem.substr(underscore + 1), rating) && *id >= 0 && *rating >= 0;
}

absl::Status ReadLabelFolder(const fs::path& dir, int label, std::vector<ImdbReview>* out) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrCat("IMDB folder not found: ", dir.string()));
  }
  size_t before = out->size();
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string name = it->path().filename().string();
    ImdbReview review;
    review.label = label;
    if (!ParseReviewFileName(name, &review.id, &review.rating)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unexpected file in IMDB folder (want <id>_<rating>.txt): ", it->path().string()));
    }
    std::ifstream in(it->path(), std::ios::binary);
    if (!in) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot read IMDB review: ", it->path().string()));
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) {
      return absl::DataLossError(absl::StrCat("error reading IMDB review: ", it->path().string()));
    }
    review.text = buffer.str();
    if (review.text.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("empty IMDB review file: ", it->path().string()));
    }
    if (const size_t bad = tokenization::FindInvalidUtf8(review.text); bad != review.text.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "IMDB review is not valid UTF-8 (byte ", bad, "): ", it->path().string()));
    }
    out->push_back(std::move(review));
  }
  if (ec) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot list IMDB folder ", dir.string(), ": ", ec.message()));
  }
  if (out->size() == before) {
    return absl::NotFoundError(
        absl::StrCat("IMDB folder holds no <id>_<rating>.txt reviews: ", dir.string()));
  }
  return absl::OkStatus();
}

}  // namespace

bool HasImdbSplit(const std::string& root, const std::string& split) {
  std::error_code ec;
  return fs::is_directory(fs::path(root) / split / "pos", ec) &&
         fs::is_directory(fs::path(root) / split / "neg", ec);
}

absl::StatusOr<std::vector<ImdbReview>> ReadImdbSplit(const std::string& root,
                                                      const std::string& split) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return absl::NotFoundError(absl::StrCat("IMDB data folder not found: ", root));
  }
  std::vector<ImdbReview> reviews;
  for (const auto& [folder, label] : {std::pair<const char*, int>{"neg", 0}, {"pos", 1}}) {
    absl::Status s = ReadLabelFolder(fs::path(root) / split / folder, label, &reviews);
    if (!s.ok()) return s;
  }
  std::sort(reviews.begin(), reviews.end(), [](const ImdbReview& a, const ImdbReview& b) {
    return std::tie(a.label, a.id) < std::tie(b.label, b.id);
  });
  return reviews;
}

TrainValidationSplit CarveValidation(std::vector<ImdbReview> reviews, double fraction,
                                     uint64_t seed) {
  std::sort(reviews.begin(), reviews.end(), [](const ImdbReview& a, const ImdbReview& b) {
    return std::tie(a.label, a.id) < std::tie(b.label, b.id);
  });
  TrainValidationSplit split;
  std::mt19937_64 rng(seed);
  size_t begin = 0;
  while (begin < reviews.size()) {
    size_t end = begin;
    while (end < reviews.size() && reviews[end].label == reviews[begin].label) ++end;
    std::vector<size_t> order(end - begin);
    for (size_t i = 0; i < order.size(); ++i) order[i] = begin + i;
    std::shuffle(order.begin(), order.end(), rng);
    const size_t n_val = static_cast<size_t>(std::llround(fraction * order.size()));
    for (size_t i = 0; i < order.size(); ++i) {
      (i < n_val ? split.validation : split.train).push_back(std::move(reviews[order[i]]));
    }
    begin = end;
  }
  return split;
}

}  // namespace sf::datasets
