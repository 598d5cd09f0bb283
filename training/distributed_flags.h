// Command-line flags for data-parallel training, shared by every task binary:
//
//   absl::ParseCommandLine(argc, argv);
//   absl::StatusOr<sf::training::DistributedOptions> options =
//       sf::training::DistributedOptionsFromFlags();
//   absl::StatusOr<std::unique_ptr<sf::training::DistributedGroup>> group =
//       sf::training::DistributedGroup::Join(*options);  // null for a single process
//
// Flags: --world_size --rank --dist_init --dist_timeout. Left at their defaults they fall back
// to the variables torchrun and tools/launch set: WORLD_SIZE, RANK, MASTER_ADDR, MASTER_PORT;
// with none of them set the binary runs as one process, as before.
#ifndef SCRATCHFORMER_TRAINING_DISTRIBUTED_FLAGS_H_
#define SCRATCHFORMER_TRAINING_DISTRIBUTED_FLAGS_H_

#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "training/distributed.h"

ABSL_DECLARE_FLAG(int, world_size);
ABSL_DECLARE_FLAG(int, rank);
ABSL_DECLARE_FLAG(std::string, dist_init);
ABSL_DECLARE_FLAG(double, dist_timeout);

namespace sf::training {

// The flags, then the environment. InvalidArgument naming the flag or variable with a bad
// value (a non-number, a rank outside [0, world size), an unknown rendezvous scheme).
absl::StatusOr<DistributedOptions> DistributedOptionsFromFlags();

}  // namespace sf::training

#endif  // SCRATCHFORMER_TRAINING_DISTRIBUTED_FLAGS_H_
