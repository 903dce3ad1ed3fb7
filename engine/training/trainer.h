#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/io/json_file.h"

namespace kvchain {

class DataParallelGroup;

struct TrainerOptions {
  double learning_rate = 2e-4;  // the paper's
  double weight_decay = 0.0;    // the paper uses Adam with none
  double warmup_ratio = 0.03;   // linear warm-up over 3% of the steps, then linear decay to 0
  double max_grad_norm = 1.0;   // <= 0 disables clipping
  int64_t epochs = 3;
  int64_t grad_accumulation = 8;  // examples per optimizer step
  int64_t micro_batch = 1;        // examples per forward pass (a step's are split into these)
  uint64_t seed = 0;              // example order
  // false: examples in index order, for a caller that orders them itself (a curriculum)
  bool shuffle = true;
  int64_t checkpoint_every = 50;  // optimizer steps; 0 = only at the end
  int64_t log_every = 1;
  std::string checkpoint_dir;  // empty: no checkpoints, no resume
  std::string log_path;        // JSONL, one line per logged step; empty: none
  std::string label = "train";
  // The processes that share each step's examples (null: this one alone). Not part of a run's
  // identity: a run resumes with any number of processes, as its steps do not depend on it.
  std::shared_ptr<DataParallelGroup> data_parallel;

  Json to_json() const;
};

// One example's loss (a mean over its `tokens` labels).
struct ExampleLoss {
  torch::Tensor loss;
  int64_t tokens = 0;
};

struct TrainSummary {
  int64_t steps = 0;
  int64_t resumed_from = 0;  // the step the run restarted at (0: from scratch)
  double final_loss = 0;     // mean example loss over the last logged step
  double seconds = 0;
};

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// AdamW over `parameters` with warm-up and linear decay, gradient accumulation and clipping.
// Examples are visited in a seeded shuffled order per epoch, so a run is reproducible and a run
// resumed from a checkpoint continues exactly where the interrupted one was: checkpoints hold
// the parameters, the optimizer state and the step, written atomically. `identity` (a hash of
// the data and config) guards against resuming someone else's run. With a data-parallel group,
// each process runs its share of a step's examples and the gradients are summed over the group
// before the step, which every process takes alike; the first process writes the checkpoints
// and the log.
class Trainer {
 public:
  Trainer(NamedTensors parameters, TrainerOptions options, std::string identity);
  // `loss_of(i)`: example i's loss. The step's gradient is that of the mean of its examples'
  // losses.
  TrainSummary train(int64_t num_examples, const std::function<ExampleLoss(int64_t)>& loss_of);
  // The same, with up to micro_batch examples' losses from one call (one forward pass).
  using BatchLosses = std::function<std::vector<ExampleLoss>(const std::vector<int64_t>&)>;
  TrainSummary train_batched(int64_t num_examples, const BatchLosses& losses_of);

  int64_t total_steps(int64_t num_examples) const;

 private:
  void save_checkpoint(int64_t step, torch::optim::Optimizer& optimizer) const;
  int64_t resume(torch::optim::Optimizer& optimizer, int64_t total) const;

  NamedTensors parameters_;
  TrainerOptions options_;
  std::string identity_;
};

// 0..n-1 in a seeded shuffled order, the same on every machine.
std::vector<int64_t> shuffled_order(int64_t n, uint64_t seed, int64_t epoch);

// Linear warm-up from 0 to the peak over `warmup` steps, then linear decay to 0 at `total`.
double scheduled_learning_rate(double peak, int64_t step, int64_t warmup, int64_t total);

}  // namespace kvchain
