#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "engine/distributed/data_parallel_group.h"

namespace kvchain::app {

// The command line this process was started with, kept by main() for launch_local_ranks.
void remember_command_line(int argc, char** argv);

// Starts `nproc` copies of this program's command line (less its --nproc) on this host as the
// ranks of one data-parallel run, with torchrun's variables set and a free port for the
// rendezvous, and waits for them. When a rank fails, the others end in an error of their own
// within the collectives' timeout (any still running after it are killed), and this is an
// Error naming the first rank that failed and how; a rerun resumes from the last checkpoint.
void launch_local_ranks(int64_t nproc);

// This process's place in a data-parallel run, from torchrun's environment: the group, joined,
// with `device` narrowed to the rank's own GPU ("cuda" -> "cuda:LOCAL_RANK"); null when the
// environment names no run of more than one process. KVCHAIN_DIST_TIMEOUT_S (default 300)
// bounds the rendezvous and, unless `collective_timeout` is given, each collective's wait for a
// rank that is alive but silent (a rank whose process ended is noticed at once).
std::shared_ptr<DataParallelGroup> join_data_parallel(
    std::string& device, std::optional<std::chrono::milliseconds> collective_timeout = {});

// A suite's ranks meet after its training and after each evaluation, having worked for any time.
constexpr std::chrono::hours kSuiteCollectiveTimeout{24 * 7};

}  // namespace kvchain::app
