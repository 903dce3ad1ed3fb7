#pragma once

#include <torch/torch.h>

#include <string>

namespace kvchain {

// "cpu", "cuda" or "cuda:N"; an Error when CUDA is asked for and absent.
torch::Device parse_device(const std::string& name);
// "cpu" or "cuda", the index dropped: what a result's identity names, so that the ranks of one
// run, each on its own GPU, share their results.
std::string device_kind(const std::string& name);
// "float32", "bfloat16" or "float16".
torch::ScalarType parse_dtype(const std::string& name);
// What a run measured on, for reports: "2-core Intel(R) Xeon(R) CPU @ 2.50GHz (cpu)", or the
// GPU's name for a CUDA device.
std::string describe_machine(const std::string& device);

}  // namespace kvchain
