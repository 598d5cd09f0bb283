// Fuzz target: a tokenizer JSON file of arbitrary bytes must load or fail with an error; a
// tokenizer that loads must encode and decode without crashing, and save to JSON again.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "tokenization/tokenizer_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace tok = sf::tokenization;
  const absl::string_view json(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::unique_ptr<tok::Tokenizer>> loaded = tok::TokenizerFromJson(json, "fuzz.json");
  if (!loaded.ok()) return 0;
  const tok::Tokenizer& t = **loaded;
  absl::StatusOr<std::vector<tok::TokenId>> ids =
      t.Encode("Hello, world! Ünïcödé 日本 🎬 <br /> 123", tok::EncodeOptions().AddBos(false));
  if (ids.ok()) (void)t.Decode(*ids);
  (void)tok::TokenizerToJson(t);
  return 0;
}
