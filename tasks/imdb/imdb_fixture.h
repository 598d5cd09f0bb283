// Test fixture: a small data set in the aclImdb layout whose labels a tiny model can learn
// (positive reviews use words of praise, negative ones words of blame, amid shared filler).
//
//   std::string root = WriteImdbFixture(testing::TempDir() + "/aclImdb",
//                                       {.reviews_per_class = 40, .with_test = true});
#ifndef SCRATCHFORMER_TASKS_IMDB_IMDB_FIXTURE_H_
#define SCRATCHFORMER_TASKS_IMDB_IMDB_FIXTURE_H_

#include <cstdint>
#include <string>

namespace sf::tasks::imdb {

struct ImdbFixtureOptions {
  int reviews_per_class = 40;  // per split
  bool with_test = false;
  uint64_t seed = 1;
};

// Writes `<root>/{train,test}/{pos,neg}/<id>_<rating>.txt` and returns `root`. Aborts (a test
// bug, not a user error) when the files cannot be written.
std::string WriteImdbFixture(const std::string& root, const ImdbFixtureOptions& options = {});

// One review in the fixture's style.
std::string FixtureReview(bool positive, uint64_t seed);

}  // namespace sf::tasks::imdb

#endif  // SCRATCHFORMER_TASKS_IMDB_IMDB_FIXTURE_H_
