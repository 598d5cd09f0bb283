#include "tokenization/random_text.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "tokenization/unicode.h"

namespace sf::tokenization {
namespace {

TEST(RandomUtf8Test, ValidAndCoversEveryEncodedLength) {
  std::mt19937 rng(1);
  int by_length[5] = {0, 0, 0, 0, 0};
  for (int i = 0; i < 2000; ++i) {
    const std::string s = RandomUtf8(&rng, 20);
    ASSERT_EQ(FindInvalidUtf8(s), s.size());
    EXPECT_LE(CountCodePoints(s), 20u);
    for (size_t pos = 0; pos < s.size();) {
      const Utf8Char c = DecodeUtf8(s, pos);
      ++by_length[c.length];
      pos += c.length;
    }
  }
  for (int len = 1; len <= 4; ++len) EXPECT_GT(by_length[len], 100) << len;
}

}  // namespace
}  // namespace sf::tokenization
