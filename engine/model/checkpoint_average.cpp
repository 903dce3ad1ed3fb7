#include "engine/model/checkpoint_average.h"

#include <cmath>
#include <numeric>

#include "engine/io/error.h"
#include "engine/model/checkpoint.h"

namespace kvchain {
namespace {

// A config as averaging compares it: the stored dtype says how the weights were saved, not
// what they are.
Json shape_of(const ModelConfig& config) {
  auto json = config.to_json();
  json.erase("torch_dtype");
  json.erase("dtype");
  return json;
}

}  // namespace

std::shared_ptr<LlamaForCausalLM> average_checkpoints(const std::vector<std::string>& dirs,
                                                      const std::vector<double>& weights) {
  if (dirs.size() < 2) throw Error("average: give at least two checkpoints");
  if (weights.size() != dirs.size()) {
    throw Error("average: " + std::to_string(weights.size()) + " weights for " +
                std::to_string(dirs.size()) + " checkpoints");
  }
  for (const auto w : weights) {
    if (!std::isfinite(w) || w < 0.0) throw Error("average: a weight is negative or not finite");
  }
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  if (std::abs(total - 1.0) > 1e-9) {
    throw Error("average: the weights add up to " + std::to_string(total) + ", not 1");
  }
  torch::NoGradGuard no_grad;
  auto first = load_model(dirs[0], torch::kCPU, torch::kFloat32);
  const auto shape = shape_of(first->config());
  auto sums = first->named_parameters();
  std::vector<torch::Tensor> acc;
  for (const auto& item : sums) acc.push_back(item.value().to(torch::kFloat64).mul_(weights[0]));
  for (size_t i = 1; i < dirs.size(); ++i) {
    const auto model = load_model(dirs[i], torch::kCPU, torch::kFloat32);
    if (shape_of(model->config()) != shape) {
      throw Error(dirs[i] + ": its config differs from " + dirs[0] + "'s; only checkpoints of " +
                  "one shape can be averaged");
    }
    const auto params = model->named_parameters();
    for (size_t p = 0; p < sums.size(); ++p) {
      acc[p].add_(params[sums[p].key()].to(torch::kFloat64), weights[i]);
    }
  }
  for (size_t p = 0; p < sums.size(); ++p) sums[p].value().copy_(acc[p].to(torch::kFloat32));
  return first;
}

}  // namespace kvchain
