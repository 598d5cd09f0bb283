// Fuzz target: the WikiText / plain text readers on arbitrary file contents.
#include <cstddef>
#include <cstdint>

#include "datasets/text_corpus.h"
#include "tools/fuzz/memory_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const sf::fuzz::MemoryFile file(data, size, "wiki.train.tokens");
  (void)sf::datasets::ReadTextFile(file.path());
  (void)sf::datasets::ReadWordsWithEos(file.path());
  return 0;
}
