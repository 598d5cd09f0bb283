#include "vision/png_io.h"

#include <png.h>
#include <zlib.h>

#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "vision/idx_fixtures.h"

namespace sf::vision {
namespace {

namespace fs = std::filesystem;

std::string FreshDir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

at::Tensor RandomBytes(std::vector<int64_t> sizes, uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  return at::randint(0, 256, sizes, gen, at::kByte);
}

at::Tensor ToFloat(const at::Tensor& bytes) { return bytes.to(at::kFloat).div(255.0); }

// Writes interleaved 8-bit pixels through libpng's simplified API: an implementation
// independent of the reader under test.
void WriteWithSimplifiedApi(const std::string& path, png_uint_32 format, int width, int height,
                            const std::vector<uint8_t>& pixels,
                            const std::vector<uint8_t>& colormap = {}) {
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  image.width = width;
  image.height = height;
  image.format = format;
  image.colormap_entries = static_cast<png_uint_32>(colormap.size() / 3);
  ASSERT_NE(png_image_write_to_file(&image, path.c_str(), 0, pixels.data(), 0,
                                    colormap.empty() ? nullptr : colormap.data()),
            0)
      << image.message;
}

// Reads `path` through the simplified API: its stored format and 8-bit pixels.
std::vector<uint8_t> ReadWithSimplifiedApi(const std::string& path, png_uint_32* format) {
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  EXPECT_NE(png_image_begin_read_from_file(&image, path.c_str()), 0) << image.message;
  *format = image.format;
  std::vector<uint8_t> pixels(PNG_IMAGE_SIZE(image));
  EXPECT_NE(png_image_finish_read(&image, nullptr, pixels.data(), 0, nullptr), 0)
      << image.message;
  return pixels;
}

TEST(PngIoTest, GrayRoundTripIsBitExact) {
  const std::string path = FreshDir("gray") + "/gray.png";
  at::Tensor bytes = RandomBytes({1, 13, 17}, 1);
  bytes[0][0][0] = 0;
  bytes[0][0][1] = 255;
  ASSERT_TRUE(WritePng(path, ToFloat(bytes)).ok());
  absl::StatusOr<at::Tensor> read = ReadPng(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->sizes(), (std::vector<int64_t>{1, 13, 17}));
  EXPECT_TRUE(at::equal(*read, ToFloat(bytes)));
  png_uint_32 format = 0;
  std::vector<uint8_t> independent = ReadWithSimplifiedApi(path, &format);
  EXPECT_EQ(format, PNG_FORMAT_GRAY);
  EXPECT_TRUE(at::equal(at::tensor(std::vector<int64_t>(independent.begin(), independent.end())),
                        bytes.reshape({-1}).to(at::kLong)));
}

TEST(PngIoTest, RgbRoundTripIsBitExact) {
  const std::string path = FreshDir("rgb") + "/rgb.png";
  at::Tensor bytes = RandomBytes({3, 9, 11}, 2);
  ASSERT_TRUE(WritePng(path, ToFloat(bytes)).ok());
  absl::StatusOr<at::Tensor> read = ReadPng(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(at::equal(*read, ToFloat(bytes)));
  png_uint_32 format = 0;
  std::vector<uint8_t> independent = ReadWithSimplifiedApi(path, &format);
  EXPECT_EQ(format, PNG_FORMAT_RGB);
  at::Tensor hwc = bytes.permute({1, 2, 0}).reshape({-1}).to(at::kLong);
  EXPECT_TRUE(at::equal(at::tensor(std::vector<int64_t>(independent.begin(), independent.end())),
                        hwc));
}

TEST(PngIoTest, WritesUint8AndTwoDimensionalTensors) {
  const std::string dir = FreshDir("uint8");
  at::Tensor bytes = RandomBytes({3, 4, 5}, 3);
  ASSERT_TRUE(WritePng(dir + "/u8.png", bytes).ok());
  absl::StatusOr<at::Tensor> read = ReadPng(dir + "/u8.png");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(at::equal(*read, ToFloat(bytes)));

  at::Tensor plane = ToFloat(RandomBytes({6, 7}, 4)).to(at::kDouble);
  ASSERT_TRUE(WritePng(dir + "/plane.png", plane).ok());
  read = ReadPng(dir + "/plane.png");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(at::allclose(*read, plane.unsqueeze(0).to(at::kFloat)));
}

TEST(PngIoTest, OutOfRangeValuesAreClampedAndNanIsBlack) {
  const std::string path = FreshDir("clamp") + "/clamp.png";
  at::Tensor image = at::tensor({-0.5f, 2.0f, std::nanf(""), 0.5f}).reshape({1, 2, 2});
  ASSERT_TRUE(WritePng(path, image).ok());
  absl::StatusOr<at::Tensor> read = ReadPng(path);
  ASSERT_TRUE(read.ok()) << read.status();
  at::Tensor levels = read->mul(255.0).round().reshape({-1}).to(at::kLong);
  EXPECT_TRUE(at::equal(levels, at::tensor(std::vector<int64_t>{0, 255, 0, 128})));
}

TEST(PngIoTest, RgbaDropsAlpha) {
  const std::string path = FreshDir("rgba") + "/rgba.png";
  // 2 x 1 pixels: opaque red, transparent green-ish.
  WriteWithSimplifiedApi(path, PNG_FORMAT_RGBA, 2, 1, {255, 0, 0, 255, 10, 200, 30, 0});
  absl::StatusOr<at::Tensor> read = ReadPng(path);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->sizes(), (std::vector<int64_t>{3, 1, 2}));
  at::Tensor levels = read->mul(255.0).round().to(at::kLong);
  EXPECT_TRUE(at::equal(levels.reshape({3, 2}),
                        at::tensor(std::vector<int64_t>{255, 10, 0, 200, 0, 30}).reshape({3, 2})));
}

TEST(PngIoTest, GrayAlphaAndPaletteFiles) {
  const std::string dir = FreshDir("formats");
  WriteWithSimplifiedApi(dir + "/ga.png", PNG_FORMAT_GA, 2, 1, {7, 255, 250, 0});
  absl::StatusOr<at::Tensor> gray = ReadPng(dir + "/ga.png");
  ASSERT_TRUE(gray.ok()) << gray.status();
  EXPECT_TRUE(at::equal(*gray, ToFloat(at::tensor({7, 250}, at::kByte).reshape({1, 1, 2}))));

  const std::vector<uint8_t> colormap = {0, 0, 0, 255, 128, 0, 10, 20, 30};
  WriteWithSimplifiedApi(dir + "/palette.png", PNG_FORMAT_RGB_COLORMAP, 3, 1, {2, 1, 0},
                         colormap);
  absl::StatusOr<at::Tensor> rgb = ReadPng(dir + "/palette.png");
  ASSERT_TRUE(rgb.ok()) << rgb.status();
  ASSERT_EQ(rgb->sizes(), (std::vector<int64_t>{3, 1, 3}));
  at::Tensor levels = rgb->mul(255.0).round().to(at::kLong).reshape({3, 3});
  EXPECT_TRUE(at::equal(
      levels, at::tensor(std::vector<int64_t>{10, 255, 0, 20, 128, 0, 30, 0, 0}).reshape({3, 3})));
}

TEST(PngIoTest, ChannelConversions) {
  const std::string dir = FreshDir("convert");
  at::Tensor gray = RandomBytes({1, 3, 4}, 5);
  ASSERT_TRUE(WritePng(dir + "/gray.png", gray).ok());
  absl::StatusOr<at::Tensor> as_rgb = ReadPng(dir + "/gray.png", PngChannels::kRgb);
  ASSERT_TRUE(as_rgb.ok()) << as_rgb.status();
  EXPECT_TRUE(at::equal(*as_rgb, ToFloat(gray).expand({3, 3, 4})));

  // Neutral colours stay exact; a saturated colour maps to its luma.
  at::Tensor rgb = at::tensor({90, 255, 0, 90, 0, 0, 90, 0, 255}, at::kByte).reshape({3, 1, 3});
  ASSERT_TRUE(WritePng(dir + "/rgb.png", rgb).ok());
  absl::StatusOr<at::Tensor> as_gray = ReadPng(dir + "/rgb.png", PngChannels::kGray);
  ASSERT_TRUE(as_gray.ok()) << as_gray.status();
  ASSERT_EQ(as_gray->sizes(), (std::vector<int64_t>{1, 1, 3}));
  at::Tensor levels = as_gray->mul(255.0).round().reshape({-1});
  EXPECT_EQ(levels[0].item<float>(), 90.0f);
  EXPECT_NEAR(levels[1].item<float>(), 0.2126 * 255, 1.0);
  EXPECT_NEAR(levels[2].item<float>(), 0.0722 * 255, 1.0);
}

enum class ColourChunk { kNone, kSrgb, kGamma };

// An 8-bit RGB PNG [height][width][3] written with libpng's low-level API, which can add an sRGB
// or gAMA chunk. Keeps no object with a destructor in this frame (libpng errors longjmp here).
bool WriteRgbWithChunk(const char* path, png_uint_32 width, png_uint_32 height,
                       const uint8_t* pixels, ColourChunk chunk) {
  FILE* file = std::fopen(path, "wb");
  if (file == nullptr) return false;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png != nullptr ? png_create_info_struct(png) : nullptr;
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    std::fclose(file);
    return false;
  }
  png_init_io(png, file);
  png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (chunk == ColourChunk::kSrgb) png_set_sRGB(png, info, PNG_sRGB_INTENT_PERCEPTUAL);
  if (chunk == ColourChunk::kGamma) png_set_gAMA(png, info, 1.0 / 2.2);
  png_write_info(png, info);
  for (png_uint_32 y = 0; y < height; ++y) {
    png_write_row(png, const_cast<png_bytep>(pixels + size_t{y} * width * 3));
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return std::fclose(file) == 0;
}

TEST(PngIoTest, GrayIsLumaOfTheStoredValuesWhateverTheColourChunks) {
  const std::string dir = FreshDir("chunks");
  // Pure red, green, blue, white, a neutral grey and a mixed colour.
  const std::vector<uint8_t> pixels = {255, 0, 0, 0, 255, 0, 0, 0, 255,
                                       255, 255, 255, 90, 90, 90, 200, 100, 50};
  const std::vector<float> expected = {54, 182, 18, 255, 90, 118};  // round(luma): 117.65
  for (const auto& [name, chunk] : std::vector<std::pair<std::string, ColourChunk>>{
           {"none", ColourChunk::kNone}, {"srgb", ColourChunk::kSrgb},
           {"gamma", ColourChunk::kGamma}}) {
    SCOPED_TRACE(name);
    const std::string path = dir + "/" + name + ".png";
    ASSERT_TRUE(WriteRgbWithChunk(path.c_str(), 6, 1, pixels.data(), chunk));
    absl::StatusOr<at::Tensor> gray = ReadPng(path, PngChannels::kGray);
    ASSERT_TRUE(gray.ok()) << gray.status();
    ASSERT_EQ(gray->sizes(), (std::vector<int64_t>{1, 1, 6}));
    at::Tensor levels = gray->mul(255.0).round().reshape({-1});
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(levels[i].item<float>(), expected[i]) << "pixel " << i;
    }
    // The colour channels themselves are never gamma-corrected.
    absl::StatusOr<at::Tensor> rgb = ReadPng(path, PngChannels::kRgb);
    ASSERT_TRUE(rgb.ok()) << rgb.status();
    EXPECT_TRUE(at::equal(
        *rgb, ToFloat(at::tensor(std::vector<int64_t>(pixels.begin(), pixels.end()))
                          .to(at::kByte)
                          .reshape({1, 6, 3})
                          .permute({2, 0, 1}))));
  }
}

TEST(PngIoTest, MissingFileIsNotFound) {
  const std::string path = FreshDir("missing") + "/nope.png";
  absl::StatusOr<at::Tensor> read = ReadPng(path);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(read.status().message(), path)) << read.status();
}

TEST(PngIoTest, NonPngFileIsRejected) {
  const std::string path = FreshDir("text") + "/text.png";
  WritePlainFile(path, "this is not an image\n");
  absl::StatusOr<at::Tensor> read = ReadPng(path);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(read.status().message(), path)) << read.status();
}

TEST(PngIoTest, TruncatedAndCorruptFilesAreDataLoss) {
  const std::string dir = FreshDir("corrupt");
  ASSERT_TRUE(WritePng(dir + "/good.png", ToFloat(RandomBytes({3, 32, 32}, 6))).ok());
  const std::string good = ReadPlainFile(dir + "/good.png");
  ASSERT_GT(good.size(), 200u);

  // The signature alone, a cut chunk header, cut IDAT data, and everything but the IEND chunk.
  for (size_t keep : {size_t{8}, size_t{12}, size_t{40}, good.size() / 2, good.size() - 13,
                      good.size() - 12}) {
    const std::string path = dir + "/cut.png";
    WritePlainFile(path, good.substr(0, keep));
    absl::StatusOr<at::Tensor> read = ReadPng(path);
    ASSERT_FALSE(read.ok()) << "kept " << keep << " bytes";
    EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss) << read.status();
    EXPECT_TRUE(absl::StrContains(read.status().message(), path)) << read.status();
    EXPECT_TRUE(absl::StrContains(read.status().message(), "truncated")) << read.status();
    EXPECT_TRUE(absl::StrContains(read.status().message(), absl::StrCat("after ", keep, " bytes")))
        << read.status();
  }

  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x5a;  // inside the compressed image data
  WritePlainFile(dir + "/flipped.png", flipped);
  absl::StatusOr<at::Tensor> read = ReadPng(dir + "/flipped.png");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(read.status().message(), "IDAT")) << read.status();
}

TEST(PngIoTest, HeaderClaimingAHugeImageIsRefusedBeforeAllocating) {
  const std::string dir = FreshDir("huge");
  ASSERT_TRUE(WritePng(dir + "/small.png", at::zeros({1, 2, 2})).ok());
  std::string png = ReadPlainFile(dir + "/small.png");
  // IHDR data starts at byte 16: width and height, big-endian; then fix the chunk's CRC.
  const std::string huge_size("\x00\x01\x00\x00\x00\x01\x00\x00", 8);  // 65536 x 65536
  png.replace(16, 8, huge_size);
  const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(png.data() + 12), 17);
  for (int i = 0; i < 4; ++i) png[29 + i] = static_cast<char>(crc >> (24 - 8 * i));
  WritePlainFile(dir + "/huge.png", png);
  absl::StatusOr<at::Tensor> read = ReadPng(dir + "/huge.png");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument) << read.status();
  EXPECT_TRUE(absl::StrContains(read.status().message(), "65536 x 65536")) << read.status();
}

TEST(PngIoTest, WriteReplacesAtomicallyAndLeavesNoTemporaryFiles) {
  const std::string dir = FreshDir("atomic");
  const std::string path = dir + "/image.png";
  ASSERT_TRUE(WritePng(path, at::zeros({1, 2, 2})).ok());
  ASSERT_TRUE(WritePng(path, at::ones({3, 4, 4})).ok());
  absl::StatusOr<at::Tensor> read = ReadPng(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(at::equal(*read, at::ones({3, 4, 4})));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::owner_read, fs::perms::owner_read);
}

TEST(PngIoTest, FailedWritesNameThePathAndCleanUp) {
  const std::string dir = FreshDir("failed");
  const std::string in_missing_dir = dir + "/no/such/dir/image.png";
  absl::Status status = WritePng(in_missing_dir, at::zeros({1, 2, 2}));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(status.message(), in_missing_dir)) << status;

  const std::string is_a_dir = dir + "/taken";
  fs::create_directories(is_a_dir + "/child");
  status = WritePng(is_a_dir, at::zeros({1, 2, 2}));
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(absl::StrContains(status.message(), is_a_dir)) << status;
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
}

TEST(PngIoTest, BadShapesAreProgrammerErrors) {
  const std::string path = ::testing::TempDir() + "bad.png";
  EXPECT_THROW(WritePng(path, at::zeros({2, 3, 3})).IgnoreError(), c10::Error);
  EXPECT_THROW(WritePng(path, at::zeros({1, 1, 3, 3})).IgnoreError(), c10::Error);
  EXPECT_THROW(WritePng(path, at::zeros({1, 3, 3}, at::kInt)).IgnoreError(), c10::Error);
}

}  // namespace
}  // namespace sf::vision
