// Fuzz target: GPT-2 style `vocab.json` + `merges.txt` of arbitrary bytes. The input is split
// at its first NUL byte: before it the vocabulary JSON, after it the merges text.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tokenization/tokenizer_io.h"
#include "tools/fuzz/memory_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace tok = sf::tokenization;
  size_t split = 0;
  while (split < size && data[split] != 0) ++split;
  const size_t merges_at = split < size ? split + 1 : size;
  const sf::fuzz::MemoryFile vocab(data, split, "vocab.json");
  const sf::fuzz::MemoryFile merges(data + merges_at, size - merges_at, "merges.txt");
  for (const std::vector<tok::Vocabulary::Special>& specials :
       {tok::Gpt2Specials(), std::vector<tok::Vocabulary::Special>{}}) {
    absl::StatusOr<std::unique_ptr<tok::BpeTokenizer>> loaded =
        tok::LoadGpt2Tokenizer(vocab.path(), merges.path(), specials);
    if (!loaded.ok()) continue;
    absl::StatusOr<std::vector<tok::TokenId>> ids = (*loaded)->Encode("Hello world, café 🎬");
    if (ids.ok()) (void)(*loaded)->Decode(*ids);
  }
  return 0;
}
