#pragma once

#include <string>

#include "engine/distributed/data_parallel_group.h"
#include "experiments/suite_config.h"

namespace kvchain::experiments {

// Runs a suite: for every task and seed, trains the adapters its methods need (AdapterCache),
// evaluates every method on the test split, and writes to RESULTS/NAME/:
// predictions/TASK-METHOD-sSEED.jsonl (with each member's intermediate output), scores.json,
// report.md and scores.csv. A finished evaluation is kept, so an interrupted suite resumes
// where it stopped. Returns the report's path.
//
// With a group of ranks sharing the results folder, each rank first trains and evaluates its
// share of the (task, seed) pairs, the ablation's too, each pair whole, as one process would;
// then the first rank, once all are done, gathers the kept results into the report (the
// others return an empty path). The scores equal a one-process run's.
std::string run_suite(const SuiteConfig& config, DataParallelGroup* group = nullptr);

}  // namespace kvchain::experiments
