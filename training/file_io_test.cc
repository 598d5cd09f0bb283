#include "training/file_io.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace sf::training {
namespace {

namespace fs = std::filesystem;

std::string FreshDir(const std::string& name) {
  fs::path dir = fs::path(::testing::TempDir()) / ("file_io_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::vector<std::string> DirEntries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  return names;
}

TEST(FileIoTest, WriteThenReadRoundTripsAndReplaces) {
  std::string dir = FreshDir("roundtrip");
  std::string path = dir + "/a.bin";
  std::string binary("x\0y\xff", 4);
  ASSERT_TRUE(WriteFileAtomically(path, binary).ok());
  EXPECT_EQ(*ReadFileToString(path), binary);
  ASSERT_TRUE(WriteFileAtomically(path, "second").ok());
  EXPECT_EQ(*ReadFileToString(path), "second");
  EXPECT_EQ(DirEntries(dir), std::vector<std::string>{"a.bin"});
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::others_read, fs::perms::others_read);
}

TEST(FileIoTest, WriterDestroyedBeforeCommitLeavesOldFileAndNoTemporary) {
  std::string dir = FreshDir("abandon");
  std::string path = dir + "/ckpt";
  ASSERT_TRUE(WriteFileAtomically(path, "old").ok());
  {
    absl::StatusOr<AtomicFileWriter> w = AtomicFileWriter::Open(path);
    ASSERT_TRUE(w.ok()) << w.status();
    ASSERT_TRUE(w->Append("new content").ok());
    EXPECT_TRUE(fs::exists(w->temp_path()));
  }
  EXPECT_EQ(*ReadFileToString(path), "old");
  EXPECT_EQ(DirEntries(dir), std::vector<std::string>{"ckpt"});
}

TEST(FileIoTest, CommitTwiceIsAnError) {
  std::string dir = FreshDir("twice");
  absl::StatusOr<AtomicFileWriter> w = AtomicFileWriter::Open(dir + "/f");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->Commit().ok());
  absl::Status s = w->Commit();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(s.message(), dir + "/f")) << s;
}

// A child process writes a large file under a file-size limit, so the kernel kills it with
// SIGXFSZ in the middle of write(2): a real crash inside WriteFileAtomically.
TEST(FileIoTest, ProcessKilledMidWriteLeavesPreviousFileIntact) {
  std::string dir = FreshDir("crash");
  std::string path = dir + "/ckpt";
  ASSERT_TRUE(WriteFileAtomically(path, "previous checkpoint").ok());
  const std::string big(1 << 20, 'n');
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_DFL);
    struct rlimit limit = {1 << 16, 1 << 16};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    absl::Status s = WriteFileAtomically(path, big);
    ::_exit(s.ok() ? 0 : 3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child status " << status;
  EXPECT_EQ(WTERMSIG(status), SIGXFSZ);

  EXPECT_EQ(*ReadFileToString(path), "previous checkpoint");
  std::vector<std::string> names = DirEntries(dir);
  ASSERT_EQ(names.size(), 2u);
  for (const std::string& name : names) {
    if (name == "ckpt") continue;
    EXPECT_TRUE(IsAtomicWriteTempFile(name)) << name;
    EXPECT_EQ(fs::file_size(fs::path(dir) / name), 1u << 16);
  }
}

TEST(FileIoTest, ProcessExitingBeforeCommitLeavesPreviousFileIntact) {
  std::string dir = FreshDir("exit");
  std::string path = dir + "/ckpt";
  ASSERT_TRUE(WriteFileAtomically(path, "previous").ok());
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    absl::StatusOr<AtomicFileWriter> w = AtomicFileWriter::Open(path);
    if (!w.ok() || !w->Append("half of the new che").ok()) ::_exit(3);
    ::_exit(0);  // No destructor runs: as if the process died here.
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(*ReadFileToString(path), "previous");
}

TEST(FileIoTest, ErrorsNameThePath) {
  std::string dir = FreshDir("errors");
  absl::StatusOr<std::string> missing = ReadFileToString(dir + "/nope.bin");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(absl::StrContains(missing.status().message(), dir + "/nope.bin"));

  absl::Status s = WriteFileAtomically(dir + "/no/such/dir/f", "x");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), dir + "/no/such/dir/f")) << s;

  absl::StatusOr<std::string> directory = ReadFileToString(dir);
  EXPECT_EQ(directory.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FileIoTest, WritesThroughSymbolicLinksAndKeepsThem) {
  std::string dir = FreshDir("symlink");
  fs::create_directories(dir + "/real");
  ASSERT_TRUE(WriteFileAtomically(dir + "/real/target.png", "old").ok());
  fs::create_symlink("real/target.png", dir + "/link.png");  // relative, as `ln -s` makes
  fs::create_symlink(dir + "/link.png", dir + "/link2.png");  // a chain
  ASSERT_TRUE(WriteFileAtomically(dir + "/link2.png", "new").ok());
  EXPECT_TRUE(fs::is_symlink(dir + "/link.png"));
  EXPECT_TRUE(fs::is_symlink(dir + "/link2.png"));
  EXPECT_EQ(*ReadFileToString(dir + "/real/target.png"), "new");
  EXPECT_EQ(DirEntries(dir + "/real"), std::vector<std::string>{"target.png"});
  // A dangling link gets its target created, as `echo > link` does.
  fs::create_symlink("real/later.txt", dir + "/dangling");
  ASSERT_TRUE(WriteFileAtomically(dir + "/dangling", "made").ok());
  EXPECT_TRUE(fs::is_symlink(dir + "/dangling"));
  EXPECT_EQ(*ReadFileToString(dir + "/real/later.txt"), "made");
}

TEST(FileIoTest, WritesStraightIntoPipesAndDevices) {
  std::string dir = FreshDir("fifo");
  const std::string fifo = dir + "/out.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // the reader: exits 0 when it got exactly the bytes
    absl::StatusOr<std::string> got = ReadFileToString(fifo);
    ::_exit(got.ok() && *got == "through the pipe" ? 0 : 1);
  }
  EXPECT_TRUE(WriteFileAtomically(fifo, "through the pipe").ok());
  // Had the pipe been replaced by a file, the reader would wait on it for ever.
  if (!fs::is_fifo(fifo)) ::kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(fs::is_fifo(fifo));
  EXPECT_EQ(DirEntries(dir), std::vector<std::string>{"out.fifo"});

  EXPECT_TRUE(WriteFileAtomically("/dev/null", "discarded").ok());
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
}

TEST(FileIoTest, RefusesADirectoryByName) {
  std::string dir = FreshDir("dir_target");
  absl::Status s = WriteFileAtomically(dir, "x");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), dir + ": it is a directory")) << s;
  EXPECT_TRUE(fs::is_directory(dir));
}

TEST(FileIoTest, RecognisesTemporaryFileNames) {
  EXPECT_TRUE(IsAtomicWriteTempFile(".ckpt-00000010.sfckpt.tmp.a1B2c3"));
  EXPECT_FALSE(IsAtomicWriteTempFile("ckpt-00000010.sfckpt"));
  EXPECT_FALSE(IsAtomicWriteTempFile(".hidden"));
  EXPECT_FALSE(IsAtomicWriteTempFile(".x.tmp.abc"));
}

TEST(FileIoTest, CreateDirectoriesMakesParents) {
  std::string dir = FreshDir("mkdir");
  ASSERT_TRUE(CreateDirectories(dir + "/a/b/c").ok());
  EXPECT_TRUE(fs::is_directory(dir + "/a/b/c"));
  ASSERT_TRUE(WriteFileAtomically(dir + "/file", "x").ok());
  absl::Status s = CreateDirectories(dir + "/file/sub");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), dir + "/file/sub")) << s;
}

}  // namespace
}  // namespace sf::training
