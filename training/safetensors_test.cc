#include "training/safetensors.h"

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/linear.h>
#include <torch/types.h>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "training/file_io.h"

namespace sf::training {
namespace {

namespace fs = std::filesystem;

std::string TempPath(const std::string& name) {
  return (fs::path(::testing::TempDir()) / name).string();
}

std::string LittleEndian64(uint64_t v) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  return out;
}

// A file put together by hand: header length, JSON header, data.
std::string HandMade(const std::string& header, const std::string& data) {
  return LittleEndian64(header.size()) + header + data;
}

NamedTensors AllDtypes() {
  torch::manual_seed(0);
  return {
      {"f32", torch::randn({2, 3})},
      {"f64", torch::randn({3}, torch::kDouble)},
      {"f16", torch::randn({5}).to(torch::kHalf)},
      {"bf16", torch::randn({1, 3}).to(torch::kBFloat16)},
      {"i64", torch::arange(-3, 4, torch::kLong)},
      {"i32", torch::tensor({-7, 2147483647}, torch::kInt)},
      {"i16", torch::tensor({-300, 300}, torch::kShort)},
      {"i8", torch::tensor({-128, 127, 0}, torch::kChar)},
      {"u8", torch::tensor({0, 255, 7}, torch::kByte)},
      {"bool", torch::tensor({true, false, true})},
      {"scalar", torch::tensor(3.5)},
      {"empty", torch::zeros({0, 4})},
      {"transposed", torch::arange(6, torch::kFloat).view({2, 3}).t()},
  };
}

TEST(SafetensorsTest, RoundTripsEveryDtypeAndMetadata) {
  const std::string path = TempPath("all.safetensors");
  NamedTensors in = AllDtypes();
  ASSERT_TRUE(SaveSafetensors(path, in, {{"format", "pt"}, {"step", "12"}}).ok());
  absl::StatusOr<SafetensorsContents> out = LoadSafetensors(path);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->metadata, (std::map<std::string, std::string>{{"format", "pt"}, {"step", "12"}}));
  ASSERT_EQ(out->tensors.size(), in.size());
  std::map<std::string, torch::Tensor> loaded(out->tensors.begin(), out->tensors.end());
  for (const auto& [name, t] : in) {
    ASSERT_TRUE(loaded.count(name)) << name;
    EXPECT_EQ(loaded[name].scalar_type(), t.scalar_type()) << name;
    EXPECT_EQ(loaded[name].sizes(), t.sizes()) << name;
    EXPECT_TRUE(torch::equal(loaded[name], t)) << name;
  }
}

// Reads the file with nothing but the format description: the offsets tile the data section
// exactly, dtypes and shapes are as declared, the bytes are the tensors' little-endian bytes.
TEST(SafetensorsTest, WrittenFileParsesIndependentlyAsValidSafetensors) {
  const std::string path = TempPath("independent.safetensors");
  NamedTensors in = AllDtypes();
  ASSERT_TRUE(SaveSafetensors(path, in, {{"format", "pt"}}).ok());
  const std::string bytes = *ReadFileToString(path);
  ASSERT_GE(bytes.size(), 8u);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  ASSERT_LE(8 + n, bytes.size());
  EXPECT_EQ((8 + n) % 8, 0u) << "data section should start 8-byte aligned";
  const std::string header_text = bytes.substr(8, n);
  EXPECT_EQ(header_text[0], '{');
  const nlohmann::json header = nlohmann::json::parse(header_text);
  const uint64_t data_size = bytes.size() - 8 - n;
  const char* data = bytes.data() + 8 + n;

  const std::map<std::string, std::pair<std::string, size_t>> expected_dtype = {
      {"f32", {"F32", 4}},  {"f64", {"F64", 8}},  {"f16", {"F16", 2}},    {"bf16", {"BF16", 2}},
      {"i64", {"I64", 8}},  {"i32", {"I32", 4}},  {"i16", {"I16", 2}},    {"i8", {"I8", 1}},
      {"u8", {"U8", 1}},    {"bool", {"BOOL", 1}}, {"scalar", {"F32", 4}}, {"empty", {"F32", 4}},
      {"transposed", {"F32", 4}}};
  std::vector<std::pair<uint64_t, uint64_t>> spans;
  for (const auto& [name, t] : in) {
    ASSERT_TRUE(header.contains(name)) << name;
    const nlohmann::json& e = header[name];
    EXPECT_EQ(e["dtype"], expected_dtype.at(name).first) << name;
    EXPECT_EQ(e["shape"].get<std::vector<int64_t>>(), t.sizes().vec()) << name;
    const uint64_t begin = e["data_offsets"][0], end = e["data_offsets"][1];
    const size_t element = expected_dtype.at(name).second;
    EXPECT_EQ(end - begin, static_cast<uint64_t>(t.numel()) * element) << name;
    EXPECT_EQ(begin % element, 0u) << name << " is not aligned to its element size";
    torch::Tensor c = t.contiguous();
    if (end > begin) {
      EXPECT_EQ(std::memcmp(data + begin, c.data_ptr(), end - begin), 0) << name;
    }
    spans.emplace_back(begin, end);
  }
  EXPECT_EQ(header["__metadata__"]["format"], "pt");
  EXPECT_EQ(header.size(), in.size() + 1);
  std::sort(spans.begin(), spans.end());
  uint64_t covered = 0;
  for (const auto& [b, e] : spans) {
    EXPECT_EQ(b, covered) << "gap or overlap at " << b;
    covered = e;
  }
  EXPECT_EQ(covered, data_size);
}

TEST(SafetensorsTest, ReadsAHandMadeFile) {
  std::string data(16, '\0');
  const int32_t values[4] = {1, -2, 3, 400000};
  std::memcpy(data.data(), values, 16);
  absl::StatusOr<SafetensorsContents> c = DecodeSafetensors(
      HandMade(R"({"__metadata__":{"a":"b"},"w":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}})",
               data),
      "hand.safetensors");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->tensors.size(), 1u);
  EXPECT_TRUE(torch::equal(c->tensors[0].second,
                           torch::tensor({1, -2, 3, 400000}, torch::kInt).view({2, 2})));
  EXPECT_EQ(c->metadata.at("a"), "b");
}

TEST(SafetensorsTest, TruncationAtAnyByteIsAnErrorNamingTheFile) {
  absl::StatusOr<std::string> bytes = EncodeSafetensors(AllDtypes(), {{"k", "v"}});
  ASSERT_TRUE(bytes.ok());
  for (size_t len = 0; len < bytes->size(); ++len) {
    absl::StatusOr<SafetensorsContents> c =
        DecodeSafetensors(absl::string_view(*bytes).substr(0, len), "/x/model.safetensors");
    ASSERT_FALSE(c.ok()) << "truncated to " << len << " bytes but decoded";
    EXPECT_EQ(c.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_TRUE(absl::StrContains(c.status().message(), "/x/model.safetensors"));
  }
}

void ExpectCorrupt(const std::string& bytes, const std::string& needle) {
  absl::StatusOr<SafetensorsContents> c = DecodeSafetensors(bytes, "bad.safetensors");
  ASSERT_FALSE(c.ok()) << "expected an error mentioning: " << needle;
  EXPECT_EQ(c.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(c.status().message(), needle)) << c.status();
  EXPECT_TRUE(absl::StrContains(c.status().message(), "bad.safetensors")) << c.status();
}

TEST(SafetensorsTest, RejectsMalformedHeadersWithClearErrors) {
  const std::string d8(8, '\0');
  ExpectCorrupt(HandMade(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}})", d8),
                "not inside the data section");
  ExpectCorrupt(HandMade(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", d8),
                "needs 12 bytes but data_offsets span 8");
  ExpectCorrupt(HandMade(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                         R"("b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})", d8),
                "overlap");
  ExpectCorrupt(HandMade(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", d8),
                "belong to no tensor");
  ExpectCorrupt(HandMade(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", d8),
                "the tensors cover 4");
  ExpectCorrupt(HandMade(R"({"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}})", d8),
                "unsupported dtype 'C64'");
  ExpectCorrupt(HandMade(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}})", d8),
                "'shape'");
  ExpectCorrupt(HandMade(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", d8),
                "not inside");
  ExpectCorrupt(HandMade(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}})", d8),
                "unknown field 'x'");
  ExpectCorrupt(HandMade(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                         R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", d8),
                "names 'a' twice");
  ExpectCorrupt(HandMade(R"({"__metadata__":{"k":1}})", ""), "is not a string");
  ExpectCorrupt(HandMade(R"({"b":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})",
                         std::string("\x01\x02", 2)),
                "holds byte 2");
  ExpectCorrupt(HandMade("[1, 2]", ""), "does not start with '{'");
  ExpectCorrupt(HandMade("{\"a\": ", ""), "not valid JSON");
  ExpectCorrupt(LittleEndian64(1ull << 40) + "{}", "truncated");
  ExpectCorrupt(HandMade(R"({"a":{"dtype":"U8","shape":[4294967296,4294967296,4294967296],)"
                         R"("data_offsets":[0,8]}})", d8),
                "more than 2^64");
}

TEST(SafetensorsTest, EncodeRejectsUnstorableInput) {
  EXPECT_FALSE(EncodeSafetensors({{"a", torch::zeros({1})}, {"a", torch::zeros({1})}}, {}).ok());
  EXPECT_FALSE(EncodeSafetensors({{"__metadata__", torch::zeros({1})}}, {}).ok());
  absl::Status s = EncodeSafetensors({{"c", torch::zeros({1}, torch::kComplexFloat)}}, {}).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "'c'")) << s;
}

struct NetImpl : torch::nn::Module {
  explicit NetImpl(int64_t hidden) {
    fc = register_module("fc", torch::nn::Linear(3, hidden));
    bn = register_module("bn", torch::nn::BatchNorm1d(hidden));
  }
  torch::nn::Linear fc{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
};
TORCH_MODULE(Net);

TEST(SafetensorsTest, ModuleExportImportRoundTripsParametersAndBuffers) {
  const std::string path = TempPath("net.safetensors");
  Net a(4);
  a->bn->running_mean.fill_(0.25);
  ASSERT_TRUE(ExportSafetensors(*a, path, {{"format", "pt"}}).ok());
  Net b(4);
  torch::Tensor weight_before = b->fc->weight;
  ASSERT_TRUE(ImportSafetensors(*b, path).ok());
  EXPECT_TRUE(torch::equal(b->fc->weight, a->fc->weight));
  EXPECT_TRUE(torch::equal(b->bn->running_mean, a->bn->running_mean));
  EXPECT_TRUE(b->fc->weight.is_same(weight_before)) << "import must copy in place";
  absl::StatusOr<SafetensorsContents> contents = LoadSafetensors(path);
  ASSERT_TRUE(contents.ok()) << contents.status();
  std::map<std::string, torch::Tensor> file(contents->tensors.begin(), contents->tensors.end());
  EXPECT_TRUE(file.count("bn.num_batches_tracked"));
  EXPECT_EQ(file["bn.num_batches_tracked"].scalar_type(), torch::kLong);
}

TEST(SafetensorsTest, ImportConvertsDtypeToTheModels) {
  const std::string path = TempPath("half.safetensors");
  Net a(2);
  NamedTensors half;
  for (auto& [k, v] : ModuleTensors(*a)) {
    half.emplace_back(k, v.is_floating_point() ? v.to(torch::kHalf) : v);
  }
  ASSERT_TRUE(SaveSafetensors(path, half).ok());
  Net b(2);
  ASSERT_TRUE(ImportSafetensors(*b, path).ok());
  EXPECT_EQ(b->fc->weight.scalar_type(), torch::kFloat);
  EXPECT_TRUE(torch::allclose(b->fc->weight, a->fc->weight, 1e-3, 1e-3));
}

TEST(SafetensorsTest, ImportMismatchNamesParametersAndShapesAndChangesNothing) {
  const std::string path = TempPath("wide.safetensors");
  ASSERT_TRUE(ExportSafetensors(*Net(5), path).ok());
  Net b(4);
  torch::Tensor before = b->fc->weight.clone();
  absl::Status s = ImportSafetensors(*b, path);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(s.message(), "fc.weight is [4, 3] in the model but [5, 3]"))
      << s;
  EXPECT_TRUE(absl::StrContains(s.message(), path)) << s;
  EXPECT_TRUE(torch::equal(b->fc->weight, before));

  const std::string partial = TempPath("partial.safetensors");
  Net c(4);
  ASSERT_TRUE(SaveSafetensors(partial, {{"fc.weight", c->fc->weight}, {"extra", torch::ones(1)}})
                  .ok());
  s = ImportSafetensors(*b, partial);
  EXPECT_TRUE(absl::StrContains(s.message(), "missing from the file: fc.bias")) << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "not in the model: extra")) << s;
  ASSERT_TRUE(ImportSafetensors(*b, partial, /*strict=*/false).ok());
  EXPECT_TRUE(torch::equal(b->fc->weight, c->fc->weight));
}

TEST(SafetensorsTest, MissingFileIsNotFound) {
  absl::StatusOr<SafetensorsContents> c = LoadSafetensors(TempPath("absent.safetensors"));
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace sf::training
