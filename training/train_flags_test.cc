#include "training/train_flags.h"

#include <cstdlib>
#include <limits>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "training/device.h"

namespace sf::training {
namespace {

TEST(TrainFlagsTest, DefaultsGiveAUsableLoop) {
  absl::FlagSaver saver;
  absl::StatusOr<TrainLoopOptions> o = TrainLoopOptionsFromFlags();
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->max_steps, 1000);
  EXPECT_TRUE(o->device.is_cpu());
  EXPECT_FALSE(o->early_stopping.has_value());
  EXPECT_TRUE(o->handle_signals);
  absl::StatusOr<LrScheduleOptions> lr = LrScheduleOptionsFromFlags();
  ASSERT_TRUE(lr.ok()) << lr.status();
  EXPECT_EQ(lr->total_steps, 1000);
  EXPECT_EQ(lr->decay, LrDecay::kCosine);
  EXPECT_TRUE(AdamWConfigFromFlags().ok());
}

TEST(TrainFlagsTest, FlagsReachTheOptions) {
  absl::FlagSaver saver;
  ::setenv("BUILD_WORKING_DIRECTORY", "/home/user/project", 1);
  absl::SetFlag(&FLAGS_steps, 500);
  absl::SetFlag(&FLAGS_grad_accum, 4);
  absl::SetFlag(&FLAGS_checkpoint_dir, "runs/ckpt");
  absl::SetFlag(&FLAGS_run_dir, "/abs/run");
  absl::SetFlag(&FLAGS_resume, true);
  absl::SetFlag(&FLAGS_early_stopping_metric, "accuracy");
  absl::SetFlag(&FLAGS_early_stopping_mode, "max");
  absl::SetFlag(&FLAGS_patience, 3);
  absl::SetFlag(&FLAGS_lr, 3e-4);
  absl::SetFlag(&FLAGS_warmup_steps, 50);
  absl::SetFlag(&FLAGS_lr_decay, "linear");
  absl::SetFlag(&FLAGS_weight_decay, 0.1);
  absl::StatusOr<TrainLoopOptions> o = TrainLoopOptionsFromFlags();
  ::unsetenv("BUILD_WORKING_DIRECTORY");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->max_steps, 500);
  EXPECT_EQ(o->grad_accum_steps, 4);
  EXPECT_EQ(o->checkpoint_dir, "/home/user/project/runs/ckpt");
  EXPECT_EQ(o->run_dir, "/abs/run");
  EXPECT_TRUE(o->resume);
  ASSERT_TRUE(o->early_stopping.has_value());
  EXPECT_EQ(o->early_stopping->metric, "accuracy");
  EXPECT_EQ(o->early_stopping->mode, MetricMode::kMax);
  EXPECT_EQ(o->early_stopping->patience, 3);
  absl::StatusOr<LrScheduleOptions> lr = LrScheduleOptionsFromFlags();
  ASSERT_TRUE(lr.ok()) << lr.status();
  EXPECT_EQ(lr->peak_lr, 3e-4);
  EXPECT_EQ(lr->warmup_steps, 50);
  EXPECT_EQ(lr->total_steps, 500);
  EXPECT_EQ(lr->decay, LrDecay::kLinear);
  EXPECT_EQ(AdamWConfigFromFlags()->weight_decay, 0.1);
}

void ExpectError(const std::string& needle) {
  absl::StatusOr<TrainLoopOptions> o = TrainLoopOptionsFromFlags();
  ASSERT_FALSE(o.ok()) << "expected: " << needle;
  EXPECT_TRUE(absl::StrContains(o.status().message(), needle)) << o.status();
}

TEST(TrainFlagsTest, BadValuesNameTheFlag) {
  {
    absl::FlagSaver saver;
    absl::SetFlag(&FLAGS_steps, 0);
    ExpectError("--steps must be at least 1, got 0");
  }
  {
    absl::FlagSaver saver;
    // The task fills in its default checkpoint folder afterwards.
    absl::SetFlag(&FLAGS_resume, true);
    absl::StatusOr<TrainLoopOptions> o = TrainLoopOptionsFromFlags();
    ASSERT_TRUE(o.ok()) << o.status();
    EXPECT_TRUE(o->resume);
    EXPECT_TRUE(o->checkpoint_dir.empty());
  }
  {
    absl::FlagSaver saver;
    absl::SetFlag(&FLAGS_early_stopping_metric, "loss");
    absl::SetFlag(&FLAGS_early_stopping_mode, "down");
    ExpectError("--early_stopping_mode");
  }
  {
    absl::FlagSaver saver;
    absl::SetFlag(&FLAGS_device, "cuda:7");
    absl::StatusOr<TrainLoopOptions> o = TrainLoopOptionsFromFlags();
    EXPECT_FALSE(o.ok());  // no GPU in a CPU-only LibTorch, or not eight of them
  }
  {
    absl::FlagSaver saver;
    absl::SetFlag(&FLAGS_restore_best, true);
    ExpectError("--restore_best needs --early_stopping_metric");
  }
  for (double lr : {1e39, 1e300, std::numeric_limits<double>::infinity(),
                    std::numeric_limits<double>::quiet_NaN()}) {
    absl::FlagSaver saver;
    absl::SetFlag(&FLAGS_lr, lr);
    for (const absl::Status& s :
         {LrScheduleOptionsFromFlags().status(), AdamWConfigFromFlags().status()}) {
      EXPECT_TRUE(absl::StrContains(s.message(), "--lr must be a finite number within float range"))
          << lr << ": " << s;
    }
  }
  {
    absl::FlagSaver saver;
    absl::SetFlag(&FLAGS_weight_decay, 1e40);
    EXPECT_TRUE(absl::StrContains(AdamWConfigFromFlags().status().message(), "--weight_decay"));
  }
  {
    absl::FlagSaver saver;
    absl::SetFlag(&FLAGS_lr_decay, "step");
    absl::Status s = LrScheduleOptionsFromFlags().status();
    EXPECT_TRUE(absl::StrContains(s.message(), "--lr_decay: unknown learning-rate decay 'step'"))
        << s;
    absl::SetFlag(&FLAGS_lr_decay, "cosine");
    absl::SetFlag(&FLAGS_warmup_steps, 1000);
    s = LrScheduleOptionsFromFlags().status();
    EXPECT_TRUE(absl::StrContains(s.message(), "--steps (1000) must exceed --warmup_steps (1000)"))
        << s;
    absl::SetFlag(&FLAGS_weight_decay, -1.0);
    EXPECT_FALSE(AdamWConfigFromFlags().ok());
  }
}

}  // namespace
}  // namespace sf::training
