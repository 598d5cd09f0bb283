#include "tasks/imdb/imdb_fixture.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"

namespace sf::tasks::imdb {
namespace {

const std::vector<std::string> kPraise = {"wonderful", "great", "brilliant", "moving",
                                          "superb", "loved", "beautiful", "masterpiece"};
const std::vector<std::string> kBlame = {"awful", "boring", "terrible", "dull",
                                         "waste", "hated", "poor", "mess"};
const std::vector<std::string> kFiller = {"the", "film", "movie", "plot", "actor", "scene",
                                          "story", "was", "and", "it", "a", "of", "director",
                                          "music", "ending", "this"};

}  // namespace

std::string FixtureReview(bool positive, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const std::vector<std::string>& cue = positive ? kPraise : kBlame;
  const int words = 6 + static_cast<int>(rng() % 20);
  std::string text;
  for (int i = 0; i < words; ++i) {
    const bool use_cue = rng() % 4 == 0;
    const std::vector<std::string>& pool = use_cue ? cue : kFiller;
    absl::StrAppend(&text, i == 0 ? "" : (rng() % 7 == 0 ? ". " : " "), pool[rng() % pool.size()]);
  }
  absl::StrAppend(&text, "<br /><br />", cue[rng() % cue.size()], "!");
  return text;
}

std::string WriteImdbFixture(const std::string& root, const ImdbFixtureOptions& options) {
  std::vector<std::string> splits = {"train"};
  if (options.with_test) splits.push_back("test");
  uint64_t seed = options.seed * 1000003;
  for (const std::string& split : splits) {
    for (bool positive : {true, false}) {
      const std::string dir = absl::StrCat(root, "/", split, positive ? "/pos" : "/neg");
      std::filesystem::create_directories(dir);
      for (int i = 0; i < options.reviews_per_class; ++i) {
        const int rating = positive ? 7 + i % 4 : 1 + i % 4;
        const std::string path = absl::StrCat(dir, "/", i, "_", rating, ".txt");
        std::ofstream out(path);
        out << FixtureReview(positive, ++seed);
        if (!out) {
          std::cerr << "WriteImdbFixture: cannot write " << path << "\n";
          std::abort();
        }
      }
    }
  }
  return root;
}

}  // namespace sf::tasks::imdb
