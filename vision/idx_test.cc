#include "vision/idx.h"

#include <sys/resource.h>
#include <zlib.h>

#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "vision/idx_fixtures.h"

namespace sf::vision {
namespace {

std::string TempPath(const std::string& name) { return ::testing::TempDir() + name; }

// Three 2x3 images whose pixel k of image i is 40 * i + k, plus 255 in the last pixel.
std::vector<uint8_t> ImagePayload() {
  std::vector<uint8_t> payload;
  for (int i = 0; i < 3; ++i) {
    for (int k = 0; k < 6; ++k) payload.push_back(static_cast<uint8_t>(40 * i + k));
  }
  payload.back() = 255;
  return payload;
}

void ExpectFixtureImages(const at::Tensor& images) {
  ASSERT_EQ(images.sizes(), (std::vector<int64_t>{3, 1, 2, 3}));
  EXPECT_EQ(images.scalar_type(), at::kFloat);
  std::vector<uint8_t> payload = ImagePayload();
  at::Tensor flat = images.reshape({-1});
  for (int64_t k = 0; k < flat.numel(); ++k) {
    EXPECT_FLOAT_EQ(flat[k].item<float>(), payload[k] / 255.0f) << "pixel " << k;
  }
  EXPECT_FLOAT_EQ(images[2][0][1][2].item<float>(), 1.0f);
}

TEST(IdxTest, ReadsPlainImages) {
  const std::string path = TempPath("plain-images-idx3-ubyte");
  WritePlainFile(path, IdxBytes(kIdxImagesMagic, {3, 2, 3}, ImagePayload()));
  absl::StatusOr<at::Tensor> images = ReadIdxImages(path);
  ASSERT_TRUE(images.ok()) << images.status();
  ExpectFixtureImages(*images);
}

TEST(IdxTest, ReadsGzipImages) {
  const std::string path = TempPath("gzip-images-idx3-ubyte.gz");
  WriteGzipFile(path, IdxBytes(kIdxImagesMagic, {3, 2, 3}, ImagePayload()));
  ASSERT_EQ(ReadPlainFile(path).substr(0, 2), "\x1f\x8b");
  absl::StatusOr<at::Tensor> images = ReadIdxImages(path);
  ASSERT_TRUE(images.ok()) << images.status();
  ExpectFixtureImages(*images);
}

TEST(IdxTest, ReadsPlainAndGzipLabels) {
  const std::string bytes = IdxBytes(kIdxLabelsMagic, {5}, {0, 9, 3, 255, 7});
  WritePlainFile(TempPath("labels-idx1-ubyte"), bytes);
  WriteGzipFile(TempPath("labels-idx1-ubyte.gz"), bytes);
  for (const std::string name : {"labels-idx1-ubyte", "labels-idx1-ubyte.gz"}) {
    absl::StatusOr<at::Tensor> labels = ReadIdxLabels(TempPath(name));
    ASSERT_TRUE(labels.ok()) << labels.status();
    EXPECT_EQ(labels->scalar_type(), at::kLong);
    EXPECT_TRUE(at::equal(*labels, at::tensor(std::vector<int64_t>{0, 9, 3, 255, 7})));
  }
}

TEST(IdxTest, ReadsGzipFileLargerThanOneReadChunk) {
  const uint32_t n = 1500, rows = 28, cols = 28;
  std::vector<uint8_t> payload(n * rows * cols);
  for (size_t k = 0; k < payload.size(); ++k) payload[k] = static_cast<uint8_t>(k * 7 % 251);
  const std::string path = TempPath("large-images.gz");
  WriteGzipFile(path, IdxBytes(kIdxImagesMagic, {n, rows, cols}, payload));
  absl::StatusOr<at::Tensor> images = ReadIdxImages(path);
  ASSERT_TRUE(images.ok()) << images.status();
  ASSERT_EQ(images->sizes(), (std::vector<int64_t>{n, 1, rows, cols}));
  at::Tensor bytes = images->mul(255.0).round().to(at::kByte).reshape({-1});
  EXPECT_TRUE(at::equal(bytes, at::tensor(std::vector<int64_t>(payload.begin(), payload.end()))
                                   .to(at::kByte)));
}

TEST(IdxTest, TruncatedPlainFileNamesPathExpectedAndActualBytes) {
  const std::string path = TempPath("truncated-images-idx3-ubyte");
  std::string bytes = IdxBytes(kIdxImagesMagic, {3, 2, 3}, ImagePayload());
  WritePlainFile(path, bytes.substr(0, bytes.size() - 4));
  absl::StatusOr<at::Tensor> images = ReadIdxImages(path);
  ASSERT_FALSE(images.ok());
  EXPECT_EQ(images.status().code(), absl::StatusCode::kDataLoss);
  const std::string message(images.status().message());
  EXPECT_TRUE(absl::StrContains(message, path)) << message;
  EXPECT_TRUE(absl::StrContains(message, "expected 34 bytes (16-byte header + 3 x 2 x 3 images)"))
      << message;
  EXPECT_TRUE(absl::StrContains(message, "got 30")) << message;
}

TEST(IdxTest, FileWithTrailingBytesIsRejected) {
  const std::string path = TempPath("long-labels-idx1-ubyte");
  WritePlainFile(path, IdxBytes(kIdxLabelsMagic, {2}, {1, 2, 3}));
  absl::StatusOr<at::Tensor> labels = ReadIdxLabels(path);
  ASSERT_FALSE(labels.ok());
  const std::string message(labels.status().message());
  EXPECT_TRUE(absl::StrContains(message, "expected 10 bytes (8-byte header + 2 labels), got 11"))
      << message;
}

TEST(IdxTest, ExtraDataIsCountedExactlyWhenItIsShort) {
  const std::string path = TempPath("longer-labels-idx1-ubyte.gz");
  WriteGzipFile(path, IdxBytes(kIdxLabelsMagic, {2}, std::vector<uint8_t>(1000, 7)));
  absl::StatusOr<at::Tensor> labels = ReadIdxLabels(path);
  ASSERT_FALSE(labels.ok());
  const std::string message(labels.status().message());
  EXPECT_TRUE(absl::StrContains(message, "expected 10 bytes (8-byte header + 2 labels), got 1008 "
                                         "of decompressed data; extra data"))
      << message;
}

// ru_maxrss, in MiB.
double PeakRssMib() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

TEST(IdxTest, GzipBombIsRejectedFromItsHeaderWithoutInflatingIt) {
  // A header for one 1 x 1 image followed by 64 MiB of zeros: about 64 KB compressed.
  const std::string path = TempPath("bomb-images.gz");
  {
    gzFile file = gzopen(path.c_str(), "wb9");
    ASSERT_NE(file, nullptr);
    const std::string header = IdxBytes(kIdxImagesMagic, {1, 1, 1}, {42});
    ASSERT_EQ(gzwrite(file, header.data(), header.size()), static_cast<int>(header.size()));
    const std::vector<char> zeros(1 << 20, 0);
    for (int i = 0; i < 64; ++i) {
      ASSERT_EQ(gzwrite(file, zeros.data(), zeros.size()), static_cast<int>(zeros.size()));
    }
    ASSERT_EQ(gzclose(file), Z_OK);
  }
  const double peak_before = PeakRssMib();
  absl::StatusOr<at::Tensor> images = ReadIdxImages(path);
  // The peak only ever grows: inflating the file would have raised it by 64 MiB or more.
  EXPECT_LT(PeakRssMib() - peak_before, 32.0);
  ASSERT_FALSE(images.ok());
  EXPECT_EQ(images.status().code(), absl::StatusCode::kDataLoss);
  const std::string message(images.status().message());
  EXPECT_TRUE(absl::StrContains(message, path)) << message;
  EXPECT_TRUE(absl::StrContains(message, "expected 17 bytes (16-byte header + 1 x 1 x 1 images), "
                                         "got at least "))
      << message;
  EXPECT_TRUE(absl::StrContains(message, "extra data")) << message;
}

TEST(IdxTest, TruncatedGzipFileIsReportedAsTruncated) {
  const uint32_t n = 200;
  std::vector<uint8_t> payload(n * 28 * 28);
  for (size_t k = 0; k < payload.size(); ++k) payload[k] = static_cast<uint8_t>(k * 31 % 256);
  const std::string whole = TempPath("whole-images.gz");
  WriteGzipFile(whole, IdxBytes(kIdxImagesMagic, {n, 28, 28}, payload));
  const std::string compressed = ReadPlainFile(whole);
  const std::string path = TempPath("cut-images.gz");
  WritePlainFile(path, compressed.substr(0, compressed.size() / 2));
  absl::StatusOr<at::Tensor> images = ReadIdxImages(path);
  ASSERT_FALSE(images.ok());
  EXPECT_EQ(images.status().code(), absl::StatusCode::kDataLoss);
  const std::string message(images.status().message());
  EXPECT_TRUE(absl::StrContains(message, path)) << message;
  EXPECT_TRUE(absl::StrContains(message, absl::StrCat("expected ", 16 + n * 28 * 28, " bytes")))
      << message;
  EXPECT_TRUE(absl::StrContains(message, "of decompressed data")) << message;
  EXPECT_TRUE(absl::StrContains(message, "truncated")) << message;
}

TEST(IdxTest, GzipWithoutTrailerIsTruncatedEvenWhenTheDataIsComplete) {
  const std::string whole = TempPath("trailer-labels.gz");
  WriteGzipFile(whole, IdxBytes(kIdxLabelsMagic, {4}, {1, 2, 3, 4}));
  const std::string compressed = ReadPlainFile(whole);
  const std::string path = TempPath("no-trailer-labels.gz");
  WritePlainFile(path, compressed.substr(0, compressed.size() - 8));  // drop CRC32 and length
  absl::StatusOr<at::Tensor> labels = ReadIdxLabels(path);
  ASSERT_FALSE(labels.ok());
  EXPECT_TRUE(absl::StrContains(labels.status().message(), "truncated")) << labels.status();
}

TEST(IdxTest, WrongMagicNamesPathAndValueFound) {
  const std::string path = TempPath("labels-read-as-images");
  WritePlainFile(path, IdxBytes(kIdxLabelsMagic, {2}, {1, 2}));
  absl::StatusOr<at::Tensor> images = ReadIdxImages(path);
  ASSERT_FALSE(images.ok());
  EXPECT_EQ(images.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(images.status().message());
  EXPECT_TRUE(absl::StrContains(message, path)) << message;
  EXPECT_TRUE(absl::StrContains(message, "wrong IDX magic 0x00000801")) << message;
  EXPECT_TRUE(absl::StrContains(message, "expected 0x00000803")) << message;
}

TEST(IdxTest, NonIdxFileIsRejectedByItsMagic) {
  const std::string path = TempPath("not-idx.txt");
  WritePlainFile(path, "hello, world\n");
  absl::StatusOr<at::Tensor> labels = ReadIdxLabels(path);
  ASSERT_FALSE(labels.ok());
  EXPECT_TRUE(absl::StrContains(labels.status().message(), "0x68656c6c")) << labels.status();
  EXPECT_TRUE(absl::StrContains(labels.status().message(), "not an IDX file")) << labels.status();
}

TEST(IdxTest, ZeroRowsIsRejected) {
  const std::string path = TempPath("zero-rows");
  WritePlainFile(path, IdxBytes(kIdxImagesMagic, {1, 0, 3}, {}));
  absl::StatusOr<at::Tensor> images = ReadIdxImages(path);
  ASSERT_FALSE(images.ok());
  EXPECT_TRUE(absl::StrContains(images.status().message(), "dimension 1 (rows) is 0"))
      << images.status();
}

TEST(IdxTest, HeaderClaimingHugeSizesIsALengthErrorNotAnAllocation) {
  const std::string path = TempPath("huge-header");
  WritePlainFile(path, IdxBytes(kIdxImagesMagic, {0xffffffffu, 0xffffffffu, 0xffffffffu}, {1, 2}));
  absl::StatusOr<at::Tensor> images = ReadIdxImages(path);
  ASSERT_FALSE(images.ok());
  EXPECT_TRUE(absl::StrContains(images.status().message(), "more than 2^64")) << images.status();
  EXPECT_TRUE(absl::StrContains(images.status().message(), "got 18")) << images.status();
}

TEST(IdxTest, ShortFileAndMissingFile) {
  const std::string short_path = TempPath("short");
  WritePlainFile(short_path, std::string("\0\0", 2));
  absl::StatusOr<at::Tensor> images = ReadIdxImages(short_path);
  ASSERT_FALSE(images.ok());
  EXPECT_TRUE(absl::StrContains(images.status().message(), "too short")) << images.status();

  const std::string missing = TempPath("does-not-exist.gz");
  images = ReadIdxImages(missing);
  ASSERT_FALSE(images.ok());
  EXPECT_EQ(images.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(images.status().message(), missing)) << images.status();
}

TEST(IdxTest, CorruptGzipDataIsAnError) {
  std::string bytes("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);  // gzip header
  bytes += std::string(64, '\xff');
  const std::string path = TempPath("corrupt.gz");
  WritePlainFile(path, bytes);
  absl::StatusOr<at::Tensor> labels = ReadIdxLabels(path);
  ASSERT_FALSE(labels.ok());
  EXPECT_EQ(labels.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(labels.status().message(), path)) << labels.status();
}

}  // namespace
}  // namespace sf::vision
