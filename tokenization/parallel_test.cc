#include "tokenization/parallel.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace sf::tokenization {
namespace {

TEST(ParallelForTest, VisitsEveryIndexOnce) {
  for (int chunks_per_thread : {0, 1, 8, 64}) {
    for (int threads : {0, 1, 2, 7}) {
      for (int64_t n : {0, 1, 5, 1000}) {
        std::vector<std::atomic<int>> hits(n);
        ParallelFor(
            n, threads,
            [&](int64_t begin, int64_t end) {
              ASSERT_LE(0, begin);
              ASSERT_LT(begin, end);
              ASSERT_LE(end, n);
              for (int64_t i = begin; i < end; ++i) hits[i].fetch_add(1);
            },
            chunks_per_thread);
        for (int64_t i = 0; i < n; ++i) {
          ASSERT_EQ(hits[i].load(), 1) << n << " " << threads << " " << chunks_per_thread;
        }
      }
    }
  }
}

// Each call records the thread it ran on; every index must be visited once.
class ThreadRecorder {
 public:
  explicit ThreadRecorder(int64_t n) : hits_(n) {}
  void operator()(int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) hits_[i].fetch_add(1);
    std::lock_guard<std::mutex> lock(mu_);
    threads_.insert(std::this_thread::get_id());
  }
  bool EachOnce() const {
    for (const std::atomic<int>& h : hits_) {
      if (h.load() != 1) return false;
    }
    return true;
  }
  size_t threads() const { return threads_.size(); }

 private:
  std::vector<std::atomic<int>> hits_;
  std::mutex mu_;
  std::set<std::thread::id> threads_;
};

TEST(ParallelForTest, HugeThreadCountsAreCapped) {
  for (int threads : {50000, INT_MAX}) {
    ThreadRecorder recorder(100000);
    ParallelFor(100000, threads, [&](int64_t begin, int64_t end) { recorder(begin, end); });
    EXPECT_TRUE(recorder.EachOnce()) << threads;
    EXPECT_LE(recorder.threads(), 4u * AvailableThreads()) << threads;
  }
}

// No thread can start when the address space has no room for another stack.
TEST(ParallelForTest, DoesTheWorkWhenThreadsCannotStart) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizers need address space of their own";
#endif
  ThreadRecorder recorder(1000);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // The C library keeps the stacks of finished threads for new ones; threads that never
    // finish take them (and more), so that every thread ParallelFor starts needs a new one.
    int never[2];
    if (::pipe(never) != 0) ::_exit(2);
    for (int i = 0; i < 16; ++i) {
      std::thread([fd = never[0]] {
        char c;
        (void)!::read(fd, &c, 1);
      }).detach();
    }
    long pages = 0;
    std::ifstream("/proc/self/statm") >> pages;
    const rlim_t room = static_cast<rlim_t>(pages) * ::sysconf(_SC_PAGESIZE) + (1 << 20);
    struct rlimit limit = {room, room};
    if (pages == 0 || ::setrlimit(RLIMIT_AS, &limit) != 0) ::_exit(2);
    ParallelFor(1000, 4, [&](int64_t begin, int64_t end) { recorder(begin, end); });
    ::_exit(!recorder.EachOnce() ? 3 : recorder.threads() != 1 ? 4 : 0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "child status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(ParallelForTest, AvailableThreadsIsPositive) { EXPECT_GE(AvailableThreads(), 1); }

}  // namespace
}  // namespace sf::tokenization
