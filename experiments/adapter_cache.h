#pragma once

#include <functional>
#include <map>
#include <string>

#include "eval/system.h"
#include "experiments/suite_config.h"
#include "tasks/layouts.h"

namespace kvchain::experiments {

// The adapters a suite's systems read, trained on first use and kept under
// RESULTS/cache/adapters/, each keyed by a content hash of what produced it: the task, member,
// training method, seed, device and settings, the training split's bytes, the base model's
// bytes, the frozen members it reads and the library sources that trained it (with the
// libtorch version and compiler: KVCHAIN_SOURCE_IDENTITY). A rerun, or another suite with the
// same settings, finds them; a change to any of these trains anew.
class AdapterCache {
 public:
  using TaskOf = std::function<const tasks::Task&(const SuiteJob&)>;
  AdapterCache(const SuiteConfig& config, TaskOf task_of);

  // The adapters `system` reads on `job` with `seed`, by member: in shared mode a single-round
  // chain's last member trained on the earlier members' cache, a multi-round chain's members
  // together as a cascade; every other adapter by its own training method.
  std::map<std::string, std::string> adapters_for(const SuiteJob& job, eval::System system,
                                                  int64_t seed);

  // The content hash of the base model's weights.
  const std::string& base_hash() const { return base_hash_; }
  // The content hash of one of the job's splits ("train", "dev", "test"), computed once.
  const std::string& split_hash(const SuiteJob& job, const std::string& split);

 private:
  // The adapter of `member` trained by `training`, trained unless cached: a file, or for a
  // cascade (member kAllMembers) a directory of one per member. `earlier` are the frozen
  // members it reads.
  std::string adapter(const SuiteJob& job, const std::string& member, tasks::Training training,
                      int64_t seed, const std::map<std::string, std::string>& earlier);

  const SuiteConfig& config_;
  TaskOf task_of_;
  std::string base_hash_;
  std::map<std::string, std::string> split_hashes_;  // by split file
};

}  // namespace kvchain::experiments
