#include "tools/download/temp_dir.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace sf::download {
namespace {

namespace fs = std::filesystem;

std::string FreshDir(const std::string& name) {
  fs::path dir = fs::path(std::getenv("TEST_TMPDIR")) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

TEST(TempDirTest, RemovesItsTreeOnDestruction) {
  const std::string parent = FreshDir("destroy");
  std::string path;
  {
    absl::StatusOr<TempDir> dir = TempDir::Create(parent, ".staging-");
    ASSERT_TRUE(dir.ok()) << dir.status();
    path = dir->path();
    EXPECT_TRUE(absl::StartsWith(fs::path(path).filename().string(), ".staging-")) << path;
    fs::create_directories(fs::path(path) / "a" / "b");
    std::ofstream(fs::path(path) / "a" / "b" / "f") << "x";
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(fs::is_empty(parent));
}

TEST(TempDirTest, ReleaseKeepsTheDirectoryAndMoveTransfersOwnership) {
  const std::string parent = FreshDir("release");
  absl::StatusOr<TempDir> dir = TempDir::Create(parent, "t");
  ASSERT_TRUE(dir.ok()) << dir.status();
  TempDir moved = std::move(*dir);
  const std::string kept = moved.Release();
  EXPECT_TRUE(moved.path().empty());
  EXPECT_TRUE(fs::is_directory(kept));
}

TEST(TempDirTest, MissingParentNamesIt) {
  const std::string parent = FreshDir("missing") + "/nope";
  absl::StatusOr<TempDir> dir = TempDir::Create(parent, "t");
  ASSERT_FALSE(dir.ok());
  EXPECT_TRUE(absl::StrContains(dir.status().message(), parent)) << dir.status();
}

TEST(TempDirTest, RemoveTreeAndRemoveDirIfEmpty) {
  const std::string parent = FreshDir("remove");
  fs::create_directories(fs::path(parent) / "full" / "sub");
  fs::create_directories(fs::path(parent) / "empty");
  RemoveDirIfEmpty(parent + "/full");
  RemoveDirIfEmpty(parent + "/empty");
  EXPECT_TRUE(fs::exists(parent + "/full"));
  EXPECT_FALSE(fs::exists(parent + "/empty"));
  EXPECT_TRUE(RemoveTree(parent + "/full").ok());
  EXPECT_FALSE(fs::exists(parent + "/full"));
  EXPECT_TRUE(RemoveTree(parent + "/never_existed").ok());
}

}  // namespace
}  // namespace sf::download
