#include "engine/model/device.h"

#include "engine/io/error.h"

namespace kvchain {

torch::Device parse_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available()) throw Error("--device " + name + ": CUDA is not available");
    return torch::Device(name);
  }
  throw Error("--device: unknown device '" + name + "' (cpu, cuda, cuda:N)");
}

torch::ScalarType parse_dtype(const std::string& name) {
  if (name == "float32") return torch::kFloat32;
  if (name == "bfloat16") return torch::kBFloat16;
  if (name == "float16") return torch::kFloat16;
  throw Error("--dtype: unknown dtype '" + name + "' (float32, bfloat16, float16)");
}

}  // namespace kvchain
