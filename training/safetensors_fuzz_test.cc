// Fuzz target: safetensors bytes (8-byte header length, JSON header, tensor data) must decode
// or fail with an error naming the source; offsets and shapes are never trusted.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "training/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)sf::training::DecodeSafetensors(
      absl::string_view(reinterpret_cast<const char*>(data), size), "fuzz.safetensors");
  return 0;
}
