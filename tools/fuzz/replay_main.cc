// A main for fuzz targets built without libFuzzer: feeds the target every seed file named on
// the command line (a directory means every file in it), the empty input, and a fixed set of
// deterministic mutations of each seed (byte flips, truncations, insertions, splices).
//
// This is how `bazel test //...` (GCC, and --config=asan) exercises every fuzz target: the seed
// corpus and every crash input kept beside it become regression tests, and the mutations give
// each run some of a fuzzer's reach without its nondeterminism. Real fuzzing is
// tools/fuzz/run_fuzzers.sh, which links the same target against libFuzzer.
//
//   bazel-bin/vision/idx_fuzz_test vision/testdata/fuzz/idx          # replay a corpus folder
//   SF_FUZZ_REPLAY_MUTATIONS=5000 bazel-bin/vision/idx_fuzz_test ... # more mutations per seed
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

namespace {

constexpr int kDefaultMutations = 200;

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void CollectFiles(const std::string& path, std::vector<std::string>* files) {
  if (!IsDirectory(path)) {
    files->push_back(path);
    return;
  }
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) {
    std::fprintf(stderr, "error: cannot open corpus folder %s\n", path.c_str());
    std::exit(2);
  }
  std::vector<std::string> names;
  while (const dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(path + "/" + name);
  }
  closedir(dir);
  std::sort(names.begin(), names.end());  // the same order, so the same mutations, every run
  for (const std::string& name : names) CollectFiles(name, files);
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "error: cannot read seed %s\n", path.c_str());
    std::exit(2);
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void Run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

// One mutation of `seed`, chosen and parameterised by `rng`; `other` is another seed to splice.
std::string Mutate(const std::string& seed, const std::string& other, std::mt19937_64& rng) {
  std::string s = seed;
  const auto pick = [&rng](size_t n) { return n == 0 ? size_t{0} : size_t(rng() % n); };
  static constexpr uint8_t kInteresting[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x10, 0x20};
  const int rounds = 1 + static_cast<int>(rng() % 4);
  for (int r = 0; r < rounds; ++r) {
    switch (rng() % 7) {
      case 0:  // flip one bit
        if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 1:  // set one byte to a boundary value
        if (!s.empty()) s[pick(s.size())] = static_cast<char>(kInteresting[rng() % 8]);
        break;
      case 2:  // truncate
        s.resize(pick(s.size() + 1));
        break;
      case 3: {  // insert random bytes
        std::string bytes(1 + pick(16), '\0');
        for (char& c : bytes) c = static_cast<char>(rng());
        s.insert(pick(s.size() + 1), bytes);
        break;
      }
      case 4: {  // erase a slice
        if (s.empty()) break;
        const size_t at = pick(s.size());
        s.erase(at, 1 + pick(std::min<size_t>(32, s.size() - at)));
        break;
      }
      case 5: {  // duplicate a slice in place
        if (s.empty()) break;
        const size_t at = pick(s.size());
        const std::string slice = s.substr(at, 1 + pick(32));
        s.insert(pick(s.size() + 1), slice);
        break;
      }
      case 6: {  // splice with another seed
        const size_t cut = pick(s.size() + 1);
        s = s.substr(0, cut) + other.substr(pick(other.size() + 1));
        break;
      }
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) CollectFiles(argv[i], &files);
  int mutations = kDefaultMutations;
  if (const char* env = std::getenv("SF_FUZZ_REPLAY_MUTATIONS")) mutations = std::atoi(env);

  std::vector<std::string> seeds;
  for (const std::string& file : files) seeds.push_back(ReadFileOrDie(file));
  Run("");
  size_t runs = 1;
  for (size_t i = 0; i < seeds.size(); ++i) {
    Run(seeds[i]);
    ++runs;
    std::mt19937_64 rng(0x9e3779b97f4a7c15ULL ^ i);
    for (int m = 0; m < mutations; ++m) {
      Run(Mutate(seeds[i], seeds[(i + 1 + m) % seeds.size()], rng));
      ++runs;
    }
  }
  std::printf("replayed %zu seed files and %zu inputs in all; no crash\n", seeds.size(), runs);
  return 0;
}
