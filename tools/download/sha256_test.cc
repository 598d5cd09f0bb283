#include "tools/download/sha256.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace sf::download {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

// FIPS 180-2 test vectors.
TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, IncrementalEqualsOneShotAndRestartsAfterDigest) {
  Sha256 hasher;
  hasher.Update("ab");
  hasher.Update("");
  hasher.Update("c");
  EXPECT_EQ(hasher.HexDigest(), Sha256Hex("abc"));
  hasher.Update("abc");
  EXPECT_EQ(hasher.HexDigest(), Sha256Hex("abc"));
}

TEST(Sha256Test, StreamAndFileLargerThanOneChunk) {
  std::string data;
  for (int i = 0; i < 3 * (1 << 20) + 17; ++i) data.push_back(static_cast<char>(i * 31 + 7));
  const std::string expected = Sha256Hex(data);

  std::istringstream in(data);
  absl::StatusOr<std::string> from_stream = Sha256OfStream(in);
  ASSERT_TRUE(from_stream.ok()) << from_stream.status();
  EXPECT_EQ(*from_stream, expected);

  const std::string path = TempPath("sha256_test.bin");
  std::ofstream(path, std::ios::binary) << data;
  absl::StatusOr<std::string> from_file = Sha256OfFile(path);
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  EXPECT_EQ(*from_file, expected);
}

TEST(Sha256Test, MissingFileNamesThePath) {
  const std::string path = TempPath("no_such_file.bin");
  absl::StatusOr<std::string> hex = Sha256OfFile(path);
  EXPECT_EQ(hex.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(hex.status().message(), path)) << hex.status();
}

TEST(Sha256Test, DirectoryIsAReadErrorNamingThePath) {
  const std::string path = TempPath("");
  absl::StatusOr<std::string> hex = Sha256OfFile(path);
  EXPECT_FALSE(hex.ok());
  EXPECT_TRUE(absl::StrContains(hex.status().message(), path)) << hex.status();
}

TEST(Sha256Test, IsSha256Hex) {
  EXPECT_TRUE(IsSha256Hex(Sha256Hex("x")));
  EXPECT_FALSE(IsSha256Hex(""));
  EXPECT_FALSE(IsSha256Hex(std::string(63, 'a')));
  EXPECT_FALSE(IsSha256Hex(std::string(64, 'A')));
  EXPECT_FALSE(IsSha256Hex(std::string(64, 'g')));
}

}  // namespace
}  // namespace sf::download
