#pragma once

#include <string>

#include "engine/adapters/adapter.h"
#include "engine/training/trainer.h"
#include "experiments/loaded_chain.h"
#include "tasks/layouts.h"

namespace kvchain::experiments {

struct TrainMemberOptions {
  ModelSetup setup;  // adapters: the trained earlier members (FTHSS needs them)
  std::string data_dir;
  std::string task;
  tasks::TaskSettings settings;
  // A task member, "distill", "single", or "all": a multi-round task's cascade, every member
  // trained together with Training::kFthss.
  std::string member;
  tasks::Training training = tasks::Training::kStandard;
  AdapterConfig adapter;
  TrainerOptions trainer;
  // The adapter file, its checkpoints and log beside it; for a cascade, a directory that gets
  // one adapter per member (cascade_adapter_path), the checkpoints and the log.
  std::string out;
  int64_t limit = 0;
};

// The paper's adapters: shallow prompt tuning, 50 virtual tokens per member; one example per
// step, 3 epochs; the learning rate chosen on dev by experiments/lr_sweep.sh
// (results/reference/lr-sweep.md). Deep prefixes stay an option (`--kind prefix`, a suite's
// "adapter").
TrainMemberOptions default_member_training();

// Prompt-tunes one member (or a cascade) on the task's train split and writes its adapters
// atomically. An interrupted run resumes from its checkpoints.
void train_member(const TrainMemberOptions& options);
std::string cascade_adapter_path(const std::string& out_dir, const std::string& member);

}  // namespace kvchain::experiments
