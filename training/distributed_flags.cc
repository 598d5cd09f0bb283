#include "training/distributed_flags.h"

#include <chrono>
#include <cmath>
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(int, world_size, 0,
          "Processes training together (data parallel, gradients averaged with c10d/Gloo); "
          "0: $WORLD_SIZE, else 1. Batch sizes stay global: each process takes 1/world_size "
          "of every batch.");
ABSL_FLAG(int, rank, -1, "This process's rank in [0, world_size); -1: $RANK, else 0.");
ABSL_FLAG(std::string, dist_init, "",
          "Rendezvous: tcp://host:port (rank 0 listens on the port) or file:///path (a fresh "
          "file every rank can see); empty: tcp://$MASTER_ADDR:$MASTER_PORT, defaults "
          "127.0.0.1 and 29500.");
ABSL_FLAG(double, dist_timeout, 600,
          "Seconds the rendezvous and each collective wait for a peer before the run stops "
          "with an error; must exceed one evaluation, which rank 0 runs while the others "
          "wait.");

namespace sf::training {
namespace {

// The variable's value, or `fallback` when it is unset or empty.
std::string Env(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

absl::StatusOr<int> EnvInt(const char* name, int fallback) {
  const std::string text = Env(name, "");
  if (text.empty()) return fallback;
  int value = 0;
  if (!absl::SimpleAtoi(text, &value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("$", name, "='", text, "' is not an integer"));
  }
  return value;
}

}  // namespace

absl::StatusOr<DistributedOptions> DistributedOptionsFromFlags() {
  DistributedOptions o;
  o.world_size = absl::GetFlag(FLAGS_world_size);
  if (o.world_size == 0) {
    absl::StatusOr<int> env = EnvInt("WORLD_SIZE", 1);
    if (!env.ok()) return env.status();
    o.world_size = *env;
  }
  if (o.world_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--world_size must be at least 1, got ", o.world_size));
  }
  o.rank = absl::GetFlag(FLAGS_rank);
  if (o.rank == -1) {
    absl::StatusOr<int> env = EnvInt("RANK", 0);
    if (!env.ok()) return env.status();
    o.rank = *env;
  }
  if (o.rank < 0 || o.rank >= o.world_size) {
    return absl::InvalidArgumentError(absl::StrCat("--rank must be in [0, ", o.world_size,
                                                   ") for a world size of ", o.world_size,
                                                   ", got ", o.rank));
  }
  o.init_method = absl::GetFlag(FLAGS_dist_init);
  if (o.init_method.empty()) {
    o.init_method = absl::StrCat("tcp://", Env("MASTER_ADDR", "127.0.0.1"), ":",
                                 Env("MASTER_PORT", "29500"));
  }
  const double timeout = absl::GetFlag(FLAGS_dist_timeout);
  if (!(timeout > 0) || !std::isfinite(timeout)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--dist_timeout must be a positive number of seconds, got ", timeout));
  }
  o.timeout = std::chrono::milliseconds(static_cast<int64_t>(std::ceil(timeout * 1000)));
  if (absl::Status s = ValidateDistributedOptions(o); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--dist_init: ", s.message()));
  }
  return o;
}

}  // namespace sf::training
