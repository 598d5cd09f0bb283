// Fuzz target: checkpoint loading. Every input is tried twice: as the file's bytes, which
// exercises the framing checks (magic, lengths, CRCs), and as a header framed with correct
// lengths and CRCs around a genuine payload, so the fuzzer reaches the header parser and the
// compatibility checks against a live model and optimizer.
//
// The payload is LibTorch's own archive format. LibTorch 1.13's archive reader is not safe on
// crafted bytes (a mutated archive with recomputed CRCs crashed it inside
// torch::jit::ScriptTypeParser), so the payload given to it here is always a real one: the
// CRCs keep accidental corruption away from that reader, but a checkpoint crafted to pass
// them must be treated as untrusted code, like any LibTorch archive.
#include <cstddef>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>

#include <torch/nn/modules/linear.h>
#include <torch/optim/adamw.h>

#include "absl/strings/string_view.h"
#include "training/checkpoint.h"
#include "training/crc32c.h"

namespace {

void PutLe(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// The documented layout of training/checkpoint.h, with the CRCs made right.
std::string Frame(absl::string_view header, absl::string_view payload) {
  std::string file("\x89SFCKPT\n", 8);
  PutLe(&file, 1, 4);
  PutLe(&file, header.size(), 8);
  PutLe(&file, payload.size(), 8);
  PutLe(&file, sf::training::Crc32c(header.data(), header.size()), 4);
  PutLe(&file, sf::training::Crc32c(payload.data(), payload.size()), 4);
  PutLe(&file, sf::training::Crc32c(file.data(), file.size()), 4);
  file.append(header.data(), header.size());
  file.append(payload.data(), payload.size());
  return file;
}

// The tensor archive of a real checkpoint of the model the target loads into.
const std::string& GenuinePayload() {
  static const std::string* payload = [] {
    torch::nn::Linear model(3, 2);
    torch::optim::AdamW optimizer(model->parameters());
    std::mt19937_64 rng(0);
    absl::StatusOr<std::string> file = sf::training::EncodeCheckpoint(
        sf::training::TrainingState{model.get(), &optimizer, &rng}, {});
    if (!file.ok()) std::abort();
    uint64_t header_size = 0;
    for (int i = 7; i >= 0; --i) {
      header_size = (header_size << 8) | static_cast<unsigned char>((*file)[12 + i]);
    }
    return new std::string(file->substr(40 + header_size));
  }();
  return *payload;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  torch::nn::Linear model(3, 2);
  torch::optim::AdamW optimizer(model->parameters());
  std::mt19937_64 rng(0);
  const sf::training::TrainingState state{model.get(), &optimizer, &rng};
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)sf::training::DecodeCheckpoint(bytes, "fuzz.sfckpt", state);

  // First 4 bytes: the header length; then the header (the rest, a payload, is ignored).
  if (size < 4) return 0;
  uint32_t header_size;
  std::memcpy(&header_size, data, 4);
  const absl::string_view rest = bytes.substr(4);
  header_size = static_cast<uint32_t>(std::min<size_t>(header_size, rest.size()));
  const std::string framed = Frame(rest.substr(0, header_size), GenuinePayload());
  (void)sf::training::DecodeCheckpoint(framed, "fuzz.sfckpt", state);
  return 0;
}
