// Writes the seed corpus of every fuzz target: valid files made by the project's own writers
// (so the fuzzers start from inputs that reach deep into each parser) plus a few near-misses.
// Crash inputs found later are added to the same folders by hand and stay as regression tests.
//
//   bazel run //tools/fuzz:make_seed_corpora        # rewrites <pkg>/testdata/fuzz/<target>/
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <torch/nn/modules/linear.h>
#include <torch/optim/adamw.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tokenization/testing/sample_tokenizers.h"
#include "tokenization/tokenizer_io.h"
#include "training/checkpoint.h"
#include "training/event_writer.h"
#include "training/safetensors.h"
#include "vision/png_io.h"

namespace {

namespace fs = std::filesystem;

fs::path g_root;

void Write(const std::string& dir, const std::string& name, const std::string& bytes) {
  const fs::path folder = g_root / dir;
  fs::create_directories(folder);
  std::ofstream out(folder / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "error: cannot write %s\n", (folder / name).c_str());
    std::exit(1);
  }
}

template <typename T>
T OrDie(absl::StatusOr<T> v, const char* what) {
  if (!v.ok()) {
    std::fprintf(stderr, "error: %s: %s\n", what, v.status().ToString().c_str());
    std::exit(1);
  }
  return *std::move(v);
}

std::string ReadBack(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string BigEndian32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

void IdxSeeds() {
  std::string images = BigEndian32(0x803) + BigEndian32(2) + BigEndian32(3) + BigEndian32(3);
  for (int i = 0; i < 18; ++i) images.push_back(static_cast<char>(i * 14));
  std::string labels = BigEndian32(0x801) + BigEndian32(4) + std::string("\x00\x01\x09\x03", 4);
  Write("vision/testdata/fuzz/idx", "images_2x3x3", images);
  Write("vision/testdata/fuzz/idx", "labels_4", labels);
  Write("vision/testdata/fuzz/idx", "images_empty",
        BigEndian32(0x803) + BigEndian32(0) + BigEndian32(28) + BigEndian32(28));
  Write("vision/testdata/fuzz/idx", "images_truncated", images.substr(0, 20));
}

void PngSeeds() {
  const fs::path tmp = fs::temp_directory_path() / "sf_seed.png";
  const at::Tensor gray = at::arange(6, at::kFloat).reshape({1, 2, 3}) / 5.0;
  const at::Tensor rgb = at::rand({3, 4, 4});
  for (const auto& [name, image] : {std::pair{"gray_2x3.png", gray}, std::pair{"rgb_4x4.png", rgb}}) {
    if (absl::Status s = sf::vision::WritePng(tmp.string(), image); !s.ok()) {
      std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
      std::exit(1);
    }
    Write("vision/testdata/fuzz/png", name, ReadBack(tmp));
  }
  fs::remove(tmp);
}

void SafetensorsSeeds() {
  const sf::training::NamedTensors tensors = {
      {"weight", at::arange(6, at::kFloat).reshape({2, 3})},
      {"ids", at::arange(4, at::kLong)},
      {"empty", at::zeros({0}, at::kByte)},
  };
  Write("training/testdata/fuzz/safetensors", "three_tensors.safetensors",
        OrDie(sf::training::EncodeSafetensors(tensors, {{"format", "pt"}}), "safetensors"));
  Write("training/testdata/fuzz/safetensors", "no_tensors.safetensors",
        OrDie(sf::training::EncodeSafetensors({}, {}), "safetensors"));
}

void CheckpointSeeds() {
  torch::nn::Linear model(3, 2);
  torch::optim::AdamW optimizer(model->parameters());
  model->forward(at::ones({1, 3})).sum().backward();
  optimizer.step();
  std::mt19937_64 rng(0);
  const sf::training::TrainingState state{model.get(), &optimizer, &rng};
  sf::training::CheckpointInfo info;
  info.step = 7;
  info.config = {{"d_model", 3}, {"task", "fuzz"}};
  info.tokenizer = "{}";
  const std::string file = OrDie(sf::training::EncodeCheckpoint(state, info), "checkpoint");
  Write("training/testdata/fuzz/checkpoint", "linear_adamw.sfckpt", file);
  // The fuzz target's second form: 4-byte header length, header, payload (it adds the frame).
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | static_cast<unsigned char>(file[12 + i]);
  std::string parts(4, '\0');
  for (int i = 0; i < 4; ++i) parts[i] = static_cast<char>((header_size >> (8 * i)) & 0xff);
  parts += file.substr(40);
  Write("training/testdata/fuzz/checkpoint", "linear_adamw.parts", parts);
}

void EventSeeds() {
  const std::string version = sf::training::EncodeFileVersionEvent(1.7e9);
  const std::string scalars =
      sf::training::EncodeScalarsEvent(1.7e9, 12, {{"train/loss", 0.5f}, {"train/lr", 3e-4f}});
  Write("training/testdata/fuzz/event_reader", "two_records.tfevents",
        sf::training::FrameTfRecord(version) + sf::training::FrameTfRecord(scalars));
  Write("training/testdata/fuzz/event_reader", "scalars_event.pb", scalars);
}

void TokenizerSeeds() {
  namespace tok = sf::tokenization;
  const tok::testing::SampleTokenizers& t = tok::testing::GetSampleTokenizers();
  Write("tokenization/testdata/fuzz/tokenizer_json", "word.json", OrDie(tok::TokenizerToJson(*t.word), "word"));
  Write("tokenization/testdata/fuzz/tokenizer_json", "char.json", OrDie(tok::TokenizerToJson(*t.chars), "char"));
  Write("tokenization/testdata/fuzz/tokenizer_json", "bpe.json", OrDie(tok::TokenizerToJson(*t.bpe), "bpe"));

  nlohmann::json vocab = nlohmann::json::object();
  const std::vector<std::string>& tokens = t.bpe->vocabulary().tokens();
  for (size_t i = 0; i < tokens.size(); ++i) vocab[tokens[i]] = i;
  vocab["<|endoftext|>"] = tokens.size();
  std::string merges = "#version: 0.2\n";
  for (const auto& [left, right] : t.bpe->merges()) merges += left + " " + right + "\n";
  Write("tokenization/testdata/fuzz/gpt2_files", "sample_vocab_and_merges",
        vocab.dump() + std::string(1, '\0') + merges);

  std::string text;
  for (const std::string& line : tok::testing::SampleTexts()) text += line + "\n";
  Write("tokenization/testdata/fuzz/text", "sample.txt", text);
  Write("tokenization/testdata/fuzz/text", "invalid_utf8.txt",
        std::string("ok \xC3\x28 \xE2\x82 \xF0\x9F\x8E \xFF\xFE overlong \xC0\xAF surrogate \xED\xA0\x80 end"));
}

void DatasetSeeds() {
  const std::string nul(1, '\0');
  Write("datasets/testdata/fuzz/imdb", "positive", "123_8.txt" + nul + "A great film.<br />Loved it.");
  Write("datasets/testdata/fuzz/imdb", "bad_name", "review.txt" + nul + "Fine.");
  Write("datasets/testdata/fuzz/imdb", "empty_review", "5_10.txt" + nul);
  Write("datasets/testdata/fuzz/text_corpus", "wiki.tokens",
        " \n = Valkyria Chronicles III = \n \n Senjō no Valkyria 3 : <unk> Chronicles ( Japanese : "
        "戦場のヴァルキュリア3 ) , commonly referred to as Valkyria Chronicles III . \n");
  Write("datasets/testdata/fuzz/text_corpus", "crlf_and_tabs.txt", "a\tb\r\nc  d\r\n\r\n");
}

}  // namespace

int main(int argc, char** argv) {
  const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  g_root = argc > 1 ? fs::path(argv[1]) : workspace != nullptr ? fs::path(workspace) : fs::current_path();
  at::manual_seed(0);
  IdxSeeds();
  PngSeeds();
  SafetensorsSeeds();
  CheckpointSeeds();
  EventSeeds();
  TokenizerSeeds();
  DatasetSeeds();
  std::printf("seed corpora written under %s\n", g_root.c_str());
  return 0;
}
