#pragma once

#include <string>

#include "experiments/suite_config.h"

namespace kvchain::experiments {

// Runs a suite: for every task and seed, trains the adapters its methods need (AdapterCache),
// evaluates every method on the test split, and writes to RESULTS/NAME/:
// predictions/TASK-METHOD-sSEED.jsonl (with each member's intermediate output), scores.json,
// report.md and scores.csv. A finished evaluation is kept, so an interrupted suite resumes
// where it stopped. Returns the report's path.
std::string run_suite(const SuiteConfig& config);

}  // namespace kvchain::experiments
