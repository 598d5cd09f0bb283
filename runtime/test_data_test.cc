#include "runtime/test_data.h"

#include <cstdlib>
#include <filesystem>

#include "gtest/gtest.h"

namespace sf::runtime {
namespace {

TEST(TestDataTest, FindsWorkspaceThroughRunfiles) {
  std::optional<std::string> ws = WorkspaceDirectory();
  ASSERT_TRUE(ws.has_value());
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(*ws) / "WORKSPACE"));
}

TEST(TestDataTest, MissingSubdirIsNulloptWithReason) {
  EXPECT_FALSE(SharedDataDir("no-such-data-set-here").has_value());
  EXPECT_NE(SharedDataSkipReason("no-such-data-set-here").find("no-such-data-set-here"),
            std::string::npos);
}

TEST(TestDataTest, ExplicitRootOverrides) {
  const std::string tmp = std::getenv("TEST_TMPDIR");
  std::filesystem::create_directories(tmp + "/data/x");
  setenv("SF_SHARED_DATA", (tmp + "/data").c_str(), 1);
  std::optional<std::string> dir = SharedDataDir("x");
  unsetenv("SF_SHARED_DATA");
  ASSERT_TRUE(dir.has_value());
  EXPECT_EQ(*dir, tmp + "/data/x");
}

TEST(TestDataTest, ReportsSharedDataWhenPresent) {
  std::optional<std::string> dir = SharedDataDir();
  if (!dir) GTEST_SKIP() << SharedDataSkipReason("");
  EXPECT_TRUE(std::filesystem::exists(*dir + "/README.md"));
}

}  // namespace
}  // namespace sf::runtime
