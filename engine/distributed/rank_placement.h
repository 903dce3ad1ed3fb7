#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace kvchain {

// Where one process of a data-parallel run sits: its rank among `world_size`, its rank on its
// host (which GPU it takes) and the rendezvous, the TCP store rank 0 serves at
// master_addr:master_port. torchrun's environment names the same things.
struct RankPlacement {
  int64_t rank = 0;
  int64_t world_size = 1;
  int64_t local_rank = 0;
  int64_t local_world_size = 1;
  std::string master_addr = "127.0.0.1";
  int64_t master_port = 29500;
};

// The placement torchrun's variables give (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
// MASTER_ADDR, MASTER_PORT), or nothing when WORLD_SIZE is unset: one process alone. A variable
// that is not a number in range is an Error naming it.
std::optional<RankPlacement> rank_placement_from_environment();

// The environment variable `name` as an integer in [low, high], `fallback` when it is unset; an
// Error naming it otherwise.
int64_t environment_integer(const char* name, int64_t low, int64_t high,
                            std::optional<int64_t> fallback);

// The contiguous run [begin, end) of `count` items that share `share` of `shares` takes: every
// item in exactly one share, the shares' sizes at most one apart.
struct ShareRange {
  int64_t begin = 0, end = 0;
};
ShareRange contiguous_share(int64_t count, int64_t share, int64_t shares);

// A TCP port on 127.0.0.1 that nothing listens on now: the rendezvous of ranks on one host.
int64_t free_loopback_port();

}  // namespace kvchain
