#pragma once

#include <string>
#include <vector>

#include "engine/model/model_config.h"

namespace kvchain {

// Llama shapes for models kvchain pretrains itself: "tiny" (the embedded default, ~4M
// parameters, minutes on 2 CPU cores), "small" (~30M) and "base" (~110M) for a GPU.
ModelConfig preset_config(const std::string& name, int64_t vocab_size);
std::vector<std::string> preset_names();

}  // namespace kvchain
