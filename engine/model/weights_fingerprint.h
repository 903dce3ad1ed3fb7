#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace kvchain {

// A short hash of a model: its config's text, each weight's name and 64 evenly spaced values
// of it, rounded to bfloat16 so that the float32 and bfloat16 loads of one checkpoint agree.
// Cheap on any size of model, and it changes when a weight file is swapped.
std::string weights_fingerprint(const std::string& config_text,
                                const std::vector<std::pair<std::string, torch::Tensor>>& weights);

}  // namespace kvchain
