#include "tokenization/byte_level.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>

namespace sf::tokenization {
namespace {

using ::testing::HasSubstr;

TEST(ByteLevelTest, MatchesGpt2Table) {
  EXPECT_EQ(ByteToCodePoint(' '), 0x120u);   // Ġ
  EXPECT_EQ(ByteToCodePoint('\n'), 0x10Au);  // Ċ
  EXPECT_EQ(ByteToCodePoint(0x00), 0x100u);
  EXPECT_EQ(ByteToCodePoint(0x7F), 0x121u);
  EXPECT_EQ(ByteToCodePoint(0xA0), 0x142u);
  EXPECT_EQ(ByteToCodePoint(0xAD), 0x143u);  // soft hyphen, the last remapped byte
  EXPECT_EQ(ByteToCodePoint('A'), static_cast<char32_t>('A'));
  EXPECT_EQ(ByteToCodePoint(0xE9), 0xE9u);
}

TEST(ByteLevelTest, IsABijection) {
  std::set<char32_t> seen;
  for (int b = 0; b < 256; ++b) {
    const char32_t cp = ByteToCodePoint(static_cast<uint8_t>(b));
    EXPECT_TRUE(seen.insert(cp).second);
    EXPECT_EQ(CodePointToByte(cp), b);
  }
  EXPECT_EQ(CodePointToByte(0x144), std::nullopt);
  EXPECT_EQ(CodePointToByte(0x20AC), std::nullopt);
  EXPECT_EQ(CodePointToByte(' '), std::nullopt);  // space is spelled Ġ
}

TEST(ByteLevelTest, SpellsAndReadsStrings) {
  EXPECT_EQ(BytesToByteLevel(" the"), "Ġthe");
  EXPECT_EQ(BytesToByteLevel("a\nb"), "aĊb");
  EXPECT_EQ(BytesToByteLevel("€"), "âĤ¬");  // E2 82 AC
  EXPECT_EQ(*ByteLevelToBytes("âĤ¬"), "€");
  EXPECT_EQ(*ByteLevelToBytes(""), "");
  std::mt19937 rng(1);
  for (int i = 0; i < 1000; ++i) {
    std::string bytes(rng() % 20, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    ASSERT_EQ(*ByteLevelToBytes(BytesToByteLevel(bytes)), bytes);
  }
}

TEST(ByteLevelTest, RejectsForeignCharacters) {
  absl::StatusOr<std::string> bad = ByteLevelToBytes("ab€");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("byte offset 2 holds U+20AC"));
  EXPECT_THAT(ByteLevelToBytes("a b").status().message(), HasSubstr("U+0020"));
  EXPECT_THAT(ByteLevelToBytes("a\xFF").status().message(), HasSubstr("invalid UTF-8"));
}

}  // namespace
}  // namespace sf::tokenization
