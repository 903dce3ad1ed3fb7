#include "engine/model/weights_fingerprint.h"

#include <iomanip>
#include <sstream>

namespace kvchain {
namespace {

uint64_t fnv1a(uint64_t hash, const void* data, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) hash = (hash ^ bytes[i]) * 1099511628211ULL;
  return hash;
}

}  // namespace

std::string weights_fingerprint(const std::string& config_text,
                                const std::vector<std::pair<std::string, torch::Tensor>>& weights) {
  torch::NoGradGuard no_grad;
  uint64_t hash = fnv1a(14695981039346656037ULL, config_text.data(), config_text.size());
  for (const auto& [name, weight] : weights) {
    hash = fnv1a(hash, name.data(), name.size());
    const auto flat = weight.reshape({-1});
    const auto index = torch::linspace(0, static_cast<double>(flat.numel() - 1), 64,
                                       torch::TensorOptions().dtype(torch::kFloat64))
                           .to(torch::kInt64)
                           .to(flat.device());
    const auto sample = flat.index_select(0, index)
                            .to(torch::kBFloat16)
                            .to(torch::kFloat32)
                            .to(torch::kCPU)
                            .contiguous();
    hash = fnv1a(hash, sample.data_ptr(), sample.nbytes());
  }
  std::ostringstream out;
  out << std::hex << std::setw(16) << std::setfill('0') << hash;
  return out.str();
}

}  // namespace kvchain
