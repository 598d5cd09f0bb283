#include "tokenization/parallel.h"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <system_error>
#include <thread>
#include <vector>

namespace sf::tokenization {
namespace {

// Threads beyond a few per core only add switching, and each costs a stack: tens of thousands
// cannot all be started.
constexpr int64_t kMaxThreadsPerCore = 4;

}  // namespace

int AvailableThreads() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  const unsigned hc = std::thread::hardware_concurrency();
  return hc > 0 ? static_cast<int>(hc) : 1;
}

void ParallelFor(int64_t n, int threads, absl::FunctionRef<void(int64_t, int64_t)> fn,
                 int chunks_per_thread) {
  if (n <= 0) return;
  const int available = AvailableThreads();
  if (threads <= 0) threads = available;
  threads = static_cast<int>(std::min<int64_t>({threads, n, kMaxThreadsPerCore * available}));
  // Several chunks per thread so a slow chunk does not leave the others idle.
  const int64_t chunk =
      std::max<int64_t>(1, n / (static_cast<int64_t>(threads) * std::max(1, chunks_per_thread)));
  const int64_t num_chunks = (n + chunk - 1) / chunk;
  threads = static_cast<int>(std::min<int64_t>(threads, num_chunks));
  std::atomic<int64_t> next{0};
  const auto work = [&] {
    for (int64_t c = next.fetch_add(1); c < num_chunks; c = next.fetch_add(1)) {
      fn(c * chunk, std::min(n, (c + 1) * chunk));
    }
  };
  std::vector<std::thread> workers;
  workers.reserve(threads - 1);
  for (int t = 1; t < threads; ++t) {
    try {
      workers.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // out of threads or memory: the threads started, and this one, share the chunks
    }
  }
  work();
  for (std::thread& w : workers) w.join();
}

}  // namespace sf::tokenization
