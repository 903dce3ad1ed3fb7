#pragma once

#include <cstdint>

namespace kvchain {

// A deterministic stand-in for a crash, for the tests of resumption: when the environment
// variable KVCHAIN_KILL_AT is "WHAT:N" (e.g. "train-step:3" or "eval-example:2"), the process
// kills itself with SIGKILL at the fault point `what` whose count reaches N, as a power cut or an
// out-of-memory kill would, with no cleanup; with KVCHAIN_KILL_RANK=R as well, only the rank R
// of a data-parallel run does. Unset, a fault point costs one comparison.
// Fault points: "train-step" after a trainer's optimizer step and its checkpoint, counted per
// process; "eval-example" after an evaluated example, counted per process.
void fault_point(const char* what);

}  // namespace kvchain
