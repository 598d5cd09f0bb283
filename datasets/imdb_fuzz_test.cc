// Fuzz target: the aclImdb reader on an arbitrary review file. The input is split at its first
// NUL byte into a file name and the file's contents; the file is placed in train/pos of a
// fresh folder beside one valid negative review, and the split is read.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "datasets/imdb.h"

namespace {

namespace fs = std::filesystem;

const fs::path& Root() {
  static const fs::path* root = [] {
    const char* tmp = std::getenv("TEST_TMPDIR");
    const fs::path base = tmp != nullptr ? tmp : (fs::exists("/dev/shm") ? "/dev/shm" : "/tmp");
    auto* path = new fs::path(base / ("imdb-fuzz-" + std::to_string(getpid())));
    fs::create_directories(*path / "train" / "pos");
    fs::create_directories(*path / "train" / "neg");
    std::ofstream(*path / "train" / "neg" / "0_1.txt") << "Dull.";
    return path;
  }();
  return *root;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t split = 0;
  while (split < size && data[split] != 0) ++split;
  std::string name(reinterpret_cast<const char*>(data), std::min<size_t>(split, 200));
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  if (name.empty() || name == "." || name == "..") name = "1_10.txt";
  const fs::path pos = Root() / "train" / "pos";
  fs::remove_all(pos);
  fs::create_directories(pos);
  {
    std::ofstream out(pos / name, std::ios::binary);
    const size_t body = split < size ? split + 1 : size;
    out.write(reinterpret_cast<const char*>(data) + body, static_cast<std::streamsize>(size - body));
  }
  (void)sf::datasets::ReadImdbSplit(Root().string(), "train");
  return 0;
}
