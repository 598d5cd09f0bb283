// Reader for the IMDB Large Movie Review Dataset in its official layout
// (`aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt`), and a reproducible validation split.
//
//   absl::StatusOr<std::vector<ImdbReview>> train = ReadImdbSplit("/data/aclImdb", "train");
//   TrainValidationSplit split = CarveValidation(*std::move(train), /*fraction=*/0.1, /*seed=*/1);
//
// Labels: 1 = positive (`pos/`), 0 = negative (`neg/`). Reviews are returned sorted by
// (label, id), so the order never depends on the file system.
#ifndef SCRATCHFORMER_DATASETS_IMDB_H_
#define SCRATCHFORMER_DATASETS_IMDB_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace sf::datasets {

struct ImdbReview {
  std::string text;
  int label = 0;       // 1 positive, 0 negative
  int64_t id = 0;      // the <id> of the file name
  int rating = 0;      // the <rating> of the file name (1-4 negative, 7-10 positive)
};

// True when `<root>/<split>/pos` and `<root>/<split>/neg` both exist.
bool HasImdbSplit(const std::string& root, const std::string& split);

// Reads every review of one split. Errors name the path: a missing folder, a folder with no
// reviews, a file name not of the form <id>_<rating>.txt, an unreadable or empty file, or one
// that is not valid UTF-8.
absl::StatusOr<std::vector<ImdbReview>> ReadImdbSplit(const std::string& root,
                                                      const std::string& split);

struct TrainValidationSplit {
  std::vector<ImdbReview> train;
  std::vector<ImdbReview> validation;
};

// Moves round(fraction * n) reviews, stratified by label, into `validation`; the choice depends
// only on `seed` and the reviews' ids, so it is the same on every machine.
TrainValidationSplit CarveValidation(std::vector<ImdbReview> reviews, double fraction,
                                     uint64_t seed);

}  // namespace sf::datasets

#endif  // SCRATCHFORMER_DATASETS_IMDB_H_
