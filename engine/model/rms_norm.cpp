#include "engine/model/rms_norm.h"

#include "engine/torch_compat.h"

namespace kvchain {

RMSNorm::RMSNorm(int64_t dim, double eps) : eps_(eps) {
  weight_ = register_parameter("weight", torch::ones({dim}));
}

torch::Tensor RMSNorm::forward(const torch::Tensor& x) {
  return compat::rms_norm(x, weight_, eps_);
}

}  // namespace kvchain
