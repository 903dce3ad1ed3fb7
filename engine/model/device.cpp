#include "engine/model/device.h"

#include <fstream>
#include <thread>

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

std::string device_kind(const std::string& name) {
  return name.substr(0, name.find(':'));
}

torch::ScalarType parse_dtype(const std::string& name) {
  if (name == "float32") return torch::kFloat32;
  if (name == "bfloat16") return torch::kBFloat16;
  if (name == "float16") return torch::kFloat16;
  throw Error("--dtype: unknown dtype '" + name + "' (float32, bfloat16, float16)");
}

std::string describe_machine(const std::string& device) {
  std::string cpu = "unknown CPU";
  std::ifstream info("/proc/cpuinfo");
  for (std::string line; std::getline(info, line);) {
    if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  }
  std::string text =
      std::to_string(std::thread::hardware_concurrency()) + "-core " + cpu + " (" + device + ")";
  if (parse_device(device).is_cuda()) {
    text += ", " + std::to_string(torch::cuda::device_count()) + " CUDA device(s)";
  }
  return text;
}

}  // namespace kvchain
