// Data parallelism across real processes on 127.0.0.1: the ranks run
// distributed_test_worker, which trains through RunTrainLoop.
#include "training/distributed.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <torch/types.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "training/checkpoint.h"
#include "training/safetensors.h"

extern char** environ;

namespace sf::training {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// A port nobody listens on now (the kernel's choice for an ephemeral bind).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  socklen_t length = sizeof(address);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  close(fd);
  return ntohs(address.sin_port);
}

std::string TempPath(const std::string& name) {
  const fs::path path = fs::path(::testing::TempDir()) / ("distributed_" + name);
  fs::remove_all(path);
  return path.string();
}

// A worker process whose stdout and stderr go to a file.
class Worker {
 public:
  Worker(const std::vector<std::string>& args, const std::string& log) : log_(log) {
    std::vector<std::string> argv = {"training/distributed_test_worker"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> pointers;
    for (std::string& a : argv) pointers.push_back(a.data());
    pointers.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    EXPECT_EQ(posix_spawn(&pid_, pointers[0], &actions, nullptr, pointers.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Worker() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  // The exit code, or -1 when the process was still running after `limit` (then killed),
  // or -2 when a signal ended it.
  int Wait(std::chrono::seconds limit) {
    const Clock::time_point deadline = Clock::now() + limit;
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (Clock::now() > deadline) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
  }

  std::string Output() const {
    std::ifstream in(log_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  std::string log_;
  pid_t pid_ = -1;
  bool exited_ = false;
};

std::vector<std::string> RankArgs(int world_size, int rank, int port, int timeout_seconds) {
  return {absl::StrCat("--world_size=", world_size), absl::StrCat("--rank=", rank),
          absl::StrCat("--dist_init=tcp://127.0.0.1:", port),
          absl::StrCat("--dist_timeout=", timeout_seconds)};
}

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

NamedTensors LoadParameters(const std::string& path) {
  absl::StatusOr<SafetensorsContents> contents = LoadSafetensors(path);
  EXPECT_TRUE(contents.ok()) << contents.status();
  return contents.ok() ? contents->tensors : NamedTensors{};
}

// One process with batch 2b against two with b each: the same parameters after several
// updates, up to float rounding.
void ExpectTwoRanksMatchOneProcess(const std::string& name, const std::vector<std::string>& args) {
  const std::string dir = TempPath(name);
  fs::create_directories(dir);
  const int single_port = FreePort();
  Worker single(Concat(Concat(RankArgs(1, 0, single_port, 30), args),
                       {"--per_rank_batch=8", "--out=" + dir + "/single.safetensors"}),
                dir + "/single.log");
  ASSERT_EQ(single.Wait(std::chrono::seconds(60)), 0) << single.Output();

  const int port = FreePort();
  Worker rank0(Concat(Concat(RankArgs(2, 0, port, 30), args),
                      {"--per_rank_batch=4", "--out=" + dir + "/two.safetensors"}),
               dir + "/rank0.log");
  Worker rank1(Concat(Concat(RankArgs(2, 1, port, 30), args), {"--per_rank_batch=4"}),
               dir + "/rank1.log");
  ASSERT_EQ(rank0.Wait(std::chrono::seconds(60)), 0) << rank0.Output();
  ASSERT_EQ(rank1.Wait(std::chrono::seconds(60)), 0) << rank1.Output();
  EXPECT_FALSE(fs::exists(dir + "/two.safetensors.rank1"));

  const NamedTensors one = LoadParameters(dir + "/single.safetensors");
  const NamedTensors two = LoadParameters(dir + "/two.safetensors");
  ASSERT_EQ(one.size(), two.size());
  ASSERT_FALSE(one.empty());
  for (size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i].first, two[i].first);
    EXPECT_TRUE(torch::allclose(one[i].second, two[i].second, /*rtol=*/1e-5, /*atol=*/1e-5))
        << one[i].first << ": max difference "
        << (one[i].second - two[i].second).abs().max().item<float>();
  }
}

TEST(DistributedTest, TwoRanksWithSgdMatchOneProcessWithTheGlobalBatch) {
  ExpectTwoRanksMatchOneProcess("sgd", {"--optimizer=sgd", "--steps=8"});
}

TEST(DistributedTest, TwoRanksWithAdamWAndAccumulationMatchOneProcess) {
  ExpectTwoRanksMatchOneProcess("adamw", {"--optimizer=adamw", "--steps=6", "--grad_accum=2"});
}

TEST(DistributedTest, OnlyRankZeroWritesCheckpoints) {
  const std::string dir = TempPath("checkpoints");
  const int port = FreePort();
  Worker rank0(Concat(RankArgs(2, 0, port, 30), {"--steps=3", "--checkpoint_dir=" + dir}),
               TempPath("checkpoints_rank0.log"));
  Worker rank1(Concat(RankArgs(2, 1, port, 30), {"--steps=3", "--checkpoint_dir=" + dir + "_1"}),
               TempPath("checkpoints_rank1.log"));
  ASSERT_EQ(rank0.Wait(std::chrono::seconds(60)), 0) << rank0.Output();
  ASSERT_EQ(rank1.Wait(std::chrono::seconds(60)), 0) << rank1.Output();
  EXPECT_TRUE(fs::exists(dir + "/" + CheckpointFileName(3)));
  EXPECT_FALSE(fs::exists(dir + "_1"));
}

// Each rank draws its own dropout masks from a generator that rank 0's checkpoint does not
// hold: a run resumed in the middle must still draw the masks an uninterrupted one draws.
TEST(DistributedTest, AResumedRunWithDropoutEndsWhereAnUninterruptedOneDoes) {
  const std::string dir = TempPath("dropout_resume");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto run_pair = [&](const std::vector<std::string>& args, const std::string& name) {
    const int port = FreePort();
    Worker rank0(Concat(Concat(RankArgs(2, 0, port, 30), args),
                        {"--out=" + dir + "/" + name + ".safetensors"}),
                 dir + "/" + name + "_rank0.log");
    Worker rank1(Concat(RankArgs(2, 1, port, 30), args), dir + "/" + name + "_rank1.log");
    EXPECT_EQ(rank0.Wait(std::chrono::seconds(60)), 0) << rank0.Output();
    EXPECT_EQ(rank1.Wait(std::chrono::seconds(60)), 0) << rank1.Output();
  };
  const std::vector<std::string> common = {"--optimizer=adamw", "--dropout=0.5"};
  run_pair(Concat(common, {"--steps=6", "--checkpoint_dir=" + dir + "/whole"}), "whole");
  run_pair(Concat(common, {"--steps=3", "--checkpoint_dir=" + dir + "/parts"}), "first");
  run_pair(Concat(common, {"--steps=6", "--checkpoint_dir=" + dir + "/parts", "--resume"}),
           "resumed");
  const NamedTensors whole = LoadParameters(dir + "/whole.safetensors");
  const NamedTensors resumed = LoadParameters(dir + "/resumed.safetensors");
  ASSERT_EQ(whole.size(), resumed.size());
  ASSERT_FALSE(whole.empty());
  for (size_t i = 0; i < whole.size(); ++i) {
    EXPECT_TRUE(torch::equal(whole[i].second, resumed[i].second)) << whole[i].first;
  }
}

constexpr int kTimeoutSeconds = 5;
// Far above the timeout; only a hang would come near it.
constexpr std::chrono::seconds kExitLimit(kTimeoutSeconds + 25);

TEST(DistributedTest, KilledRankMakesThePeerFailWithAnError) {
  const int port = FreePort();
  Worker rank0(Concat(RankArgs(2, 0, port, kTimeoutSeconds), {"--steps=50", "--die_at_step=3"}),
               TempPath("killed_rank0.log"));
  Worker rank1(Concat(RankArgs(2, 1, port, kTimeoutSeconds), {"--steps=50", "--die_at_step=3"}),
               TempPath("killed_rank1.log"));
  EXPECT_EQ(rank1.Wait(kExitLimit), -2) << rank1.Output();
  ASSERT_EQ(rank0.Wait(kExitLimit), 1) << rank0.Output();
  const std::string out = rank0.Output();
  EXPECT_TRUE(absl::StrContains(out, "error: rank 0 of 2 (tcp://127.0.0.1:")) << out;
  EXPECT_TRUE(absl::StrContains(out, absl::StrCat("timeout ", kTimeoutSeconds, " s"))) << out;
}

TEST(DistributedTest, HungRankMakesThePeerTimeOut) {
  const int port = FreePort();
  Worker rank0(Concat(RankArgs(2, 0, port, kTimeoutSeconds), {"--steps=50", "--hang_at_step=3"}),
               TempPath("hung_rank0.log"));
  Worker rank1(Concat(RankArgs(2, 1, port, kTimeoutSeconds), {"--steps=50", "--hang_at_step=3"}),
               TempPath("hung_rank1.log"));
  ASSERT_EQ(rank0.Wait(kExitLimit), 1) << rank0.Output();
  EXPECT_TRUE(absl::StrContains(rank0.Output(), "error: rank 0 of 2")) << rank0.Output();
}

TEST(DistributedTest, MissingRankFailsTheRendezvous) {
  const int port = FreePort();
  Worker rank0(RankArgs(2, 0, port, kTimeoutSeconds), TempPath("alone_rank0.log"));
  ASSERT_EQ(rank0.Wait(kExitLimit), 1) << rank0.Output();
  EXPECT_TRUE(absl::StrContains(rank0.Output(), "error: rank 0 of 2")) << rank0.Output();
  EXPECT_TRUE(absl::StrContains(rank0.Output(), "joining the group")) << rank0.Output();

  Worker rank1(RankArgs(2, 1, FreePort(), kTimeoutSeconds), TempPath("alone_rank1.log"));
  ASSERT_EQ(rank1.Wait(kExitLimit), 1) << rank1.Output();
  EXPECT_TRUE(absl::StrContains(rank1.Output(), "error: rank 1 of 2 (tcp://127.0.0.1:"))
      << rank1.Output();
}

TEST(DistributedTest, ShardsAreDisjointAndCoverTheBatch) {
  const std::vector<int64_t> batch = {10, 11, 12, 13, 14, 15, 16};
  EXPECT_EQ(ShardIndices(batch, 0, 2), (std::vector<int64_t>{10, 12, 14, 16}));
  EXPECT_EQ(ShardIndices(batch, 1, 2), (std::vector<int64_t>{11, 13, 15}));
  EXPECT_EQ(ShardIndices(batch, 0, 1), batch);
  EXPECT_TRUE(ShardIndices(batch, 2, 8).size() == 1);
}

TEST(DistributedTest, PerRankBatchNeedsAMultipleOfTheWorldSize) {
  EXPECT_EQ(*PerRankBatchSize(32, 2), 16);
  EXPECT_EQ(*PerRankBatchSize(32, 1), 32);
  const absl::StatusOr<int64_t> bad = PerRankBatchSize(33, 2);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "33")) << bad.status();
  EXPECT_FALSE(PerRankBatchSize(1, 2).ok());
  EXPECT_FALSE(PerRankBatchSize(0, 1).ok());
  EXPECT_TRUE(absl::StrContains(PerRankBatchSize(-3, 1).status().message(), "batch_size=-3"));
}

TEST(DistributedTest, ValidatesOptions) {
  EXPECT_TRUE(ValidateDistributedOptions({}).ok());
  EXPECT_FALSE(ValidateDistributedOptions({.world_size = 0}).ok());
  EXPECT_FALSE(ValidateDistributedOptions({.world_size = 2, .rank = 2}).ok());
  for (const char* bad : {"127.0.0.1:29500", "tcp://127.0.0.1", "tcp://:29500",
                          "tcp://127.0.0.1:0", "tcp://127.0.0.1:70000", "file://relative"}) {
    const absl::Status s = ValidateDistributedOptions({.init_method = bad});
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_TRUE(absl::StrContains(s.message(), bad)) << s;
  }
  EXPECT_TRUE(ValidateDistributedOptions({.init_method = "file:///tmp/rendezvous"}).ok());
}

TEST(DistributedTest, OneProcessCreatesNothing) {
  absl::StatusOr<std::unique_ptr<DistributedGroup>> group = DistributedGroup::Join({});
  ASSERT_TRUE(group.ok()) << group.status();
  EXPECT_EQ(*group, nullptr);
}

}  // namespace
}  // namespace sf::training
