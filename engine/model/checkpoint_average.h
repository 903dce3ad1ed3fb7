#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/model/llama_model.h"

namespace kvchain {

// Checkpoint averaging (weight averaging; "model soups", Wortsman et al. 2022): checkpoints of
// one model that continued from one another can be averaged weight by weight into a model
// that keeps what each learned better than either alone (data/base/README.md, run 13).
//
// The weighted average of the checkpoints in `dirs`: each parameter sum_i weights[i] *
// theta_i, added in float64 in the order given and rounded to float32 once, on the CPU.
// Throws Error, naming the checkpoint, when fewer than two are given, the weights are not one
// per checkpoint, non-negative and adding up to 1, or a checkpoint's config (its dtype aside)
// differs from the first's.
std::shared_ptr<LlamaForCausalLM> average_checkpoints(const std::vector<std::string>& dirs,
                                                      const std::vector<double>& weights);

}  // namespace kvchain
