#include "datasets/imdb.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "gtest/gtest.h"
#include "runtime/test_data.h"

namespace sf::datasets {
namespace {

namespace fs = std::filesystem;

class ImdbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(std::getenv("TEST_TMPDIR")) /
            ::testing::UnitTest::GetInstance()->current_test_info()->name() / "aclImdb";
    fs::remove_all(root_);
  }
  void Write(const std::string& rel, const std::string& text) {
    fs::path p = root_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  void WriteSmallSplit(const std::string& split, int per_label) {
    for (int i = 0; i < per_label; ++i) {
      Write(split + "/pos/" + std::to_string(i) + "_" + std::to_string(7 + i % 4) + ".txt",
            "great film " + std::to_string(i));
      Write(split + "/neg/" + std::to_string(i) + "_" + std::to_string(1 + i % 4) + ".txt",
            "awful film " + std::to_string(i));
    }
  }
  fs::path root_;
};

TEST_F(ImdbTest, ReadsReviewsWithIdRatingAndLabel) {
  WriteSmallSplit("train", 3);
  absl::StatusOr<std::vector<ImdbReview>> reviews = ReadImdbSplit(root_.string(), "train");
  ASSERT_TRUE(reviews.ok()) << reviews.status();
  ASSERT_EQ(reviews->size(), 6u);
  EXPECT_EQ((*reviews)[0].label, 0);
  EXPECT_EQ((*reviews)[0].id, 0);
  EXPECT_EQ((*reviews)[0].rating, 1);
  EXPECT_EQ((*reviews)[0].text, "awful film 0");
  EXPECT_EQ((*reviews)[5].label, 1);
  EXPECT_EQ((*reviews)[5].id, 2);
  EXPECT_EQ((*reviews)[5].rating, 9);
  EXPECT_TRUE(HasImdbSplit(root_.string(), "train"));
  EXPECT_FALSE(HasImdbSplit(root_.string(), "test"));
}

TEST_F(ImdbTest, MissingFolderNamesThePath) {
  absl::StatusOr<std::vector<ImdbReview>> reviews = ReadImdbSplit(root_.string(), "train");
  EXPECT_EQ(reviews.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(reviews.status().message().find(root_.string()), std::string::npos);
}

TEST_F(ImdbTest, EmptyLabelFolderIsAnError) {
  WriteSmallSplit("train", 2);
  fs::remove_all(root_ / "train/neg");
  fs::create_directories(root_ / "train/neg");
  absl::StatusOr<std::vector<ImdbReview>> reviews = ReadImdbSplit(root_.string(), "train");
  EXPECT_EQ(reviews.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(reviews.status().message().find("train/neg"), std::string::npos)
      << reviews.status();
}

TEST_F(ImdbTest, MalformedFileNameAndEmptyFileAreErrors) {
  WriteSmallSplit("train", 2);
  Write("train/pos/notes.txt", "x");
  absl::StatusOr<std::vector<ImdbReview>> bad_name = ReadImdbSplit(root_.string(), "train");
  EXPECT_EQ(bad_name.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad_name.status().message().find("notes.txt"), std::string::npos);
  fs::remove(root_ / "train/pos/notes.txt");
  Write("train/pos/99_8.txt", "");
  absl::StatusOr<std::vector<ImdbReview>> empty = ReadImdbSplit(root_.string(), "train");
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(empty.status().message().find("99_8.txt"), std::string::npos);
}

TEST_F(ImdbTest, UnreadableFileIsAnError) {
  if (geteuid() == 0) GTEST_SKIP() << "running as root: file permissions do not apply";
  WriteSmallSplit("train", 2);
  chmod((root_ / "train/pos/0_7.txt").c_str(), 0);
  absl::StatusOr<std::vector<ImdbReview>> reviews = ReadImdbSplit(root_.string(), "train");
  EXPECT_EQ(reviews.status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(ImdbTest, CarveValidationIsStratifiedDisjointAndReproducible) {
  WriteSmallSplit("train", 50);
  std::vector<ImdbReview> reviews = *ReadImdbSplit(root_.string(), "train");
  TrainValidationSplit a = CarveValidation(reviews, 0.2, 7);
  TrainValidationSplit b = CarveValidation(reviews, 0.2, 7);
  TrainValidationSplit c = CarveValidation(reviews, 0.2, 8);
  ASSERT_EQ(a.validation.size(), 20u);
  ASSERT_EQ(a.train.size(), 80u);
  int positives = 0;
  std::set<std::pair<int, int64_t>> seen;
  for (const auto& r : a.validation) {
    positives += r.label;
    seen.insert({r.label, r.id});
  }
  EXPECT_EQ(positives, 10);
  for (const auto& r : a.train) EXPECT_TRUE(seen.insert({r.label, r.id}).second);
  EXPECT_EQ(seen.size(), 100u);
  bool same_as_b = true, same_as_c = true;
  for (size_t i = 0; i < a.validation.size(); ++i) {
    same_as_b &= a.validation[i].id == b.validation[i].id;
    same_as_c &= a.validation[i].id == c.validation[i].id;
  }
  EXPECT_TRUE(same_as_b);
  EXPECT_FALSE(same_as_c);
}

TEST(ImdbRealDataTest, ReadsTheTrainSplit) {
  std::optional<std::string> dir = sf::runtime::SharedDataDir("aclImdb");
  if (!dir) GTEST_SKIP() << sf::runtime::SharedDataSkipReason("aclImdb");
  absl::StatusOr<std::vector<ImdbReview>> reviews = ReadImdbSplit(*dir, "train");
  ASSERT_TRUE(reviews.ok()) << reviews.status();
  ASSERT_EQ(reviews->size(), 25000u);
  int positives = 0;
  for (const auto& r : *reviews) {
    positives += r.label;
    EXPECT_TRUE(r.label == 1 ? r.rating >= 7 : r.rating <= 4) << r.id;
  }
  EXPECT_EQ(positives, 12500);
}

}  // namespace
}  // namespace sf::datasets
