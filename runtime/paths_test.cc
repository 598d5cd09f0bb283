#include "runtime/paths.h"

#include <cstdlib>

#include "gtest/gtest.h"

namespace sf::runtime {
namespace {

class ResolveUserPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* old = std::getenv("BUILD_WORKING_DIRECTORY");
    had_old_ = old != nullptr;
    if (had_old_) old_ = old;
  }
  void TearDown() override {
    if (had_old_) {
      setenv("BUILD_WORKING_DIRECTORY", old_.c_str(), 1);
    } else {
      unsetenv("BUILD_WORKING_DIRECTORY");
    }
  }

 private:
  bool had_old_ = false;
  std::string old_;
};

TEST_F(ResolveUserPathTest, RelativePathJoinsBuildWorkingDirectory) {
  setenv("BUILD_WORKING_DIRECTORY", "/home/user/project", 1);
  EXPECT_EQ(ResolveUserPath("data/aclImdb"), "/home/user/project/data/aclImdb");
  EXPECT_EQ(ResolveUserPath("../shared/data"), "/home/user/shared/data");
  EXPECT_EQ(UserWorkingDirectory(), "/home/user/project");
}

TEST_F(ResolveUserPathTest, AbsoluteAndEmptyPathsAreUnchanged) {
  setenv("BUILD_WORKING_DIRECTORY", "/home/user/project", 1);
  EXPECT_EQ(ResolveUserPath("/data/x"), "/data/x");
  EXPECT_EQ(ResolveUserPath(""), "");
}

TEST_F(ResolveUserPathTest, WithoutBazelRunRelativePathsStayRelative) {
  unsetenv("BUILD_WORKING_DIRECTORY");
  EXPECT_EQ(ResolveUserPath("data/x"), "data/x");
}

TEST_F(ResolveUserPathTest, TildeExpandsToHome) {
  const char* home = std::getenv("HOME");
  if (home == nullptr) GTEST_SKIP() << "HOME is not set";
  EXPECT_EQ(ResolveUserPath("~/cache/x"), std::string(home) + "/cache/x");
}

}  // namespace
}  // namespace sf::runtime
