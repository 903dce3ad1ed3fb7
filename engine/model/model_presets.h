#pragma once

#include <string>
#include <vector>

#include "engine/model/model_config.h"

namespace kvchain {

// Llama shapes for models kvchain pretrains itself: "tiny" (~4M parameters, minutes on 2 CPU
// cores), "mini" (~13M with a 2,048-token vocabulary: 8 layers, 6 heads over 2 KV heads, the
// embedded default since it reads in any layout), "small" (~30M) and "base" (~110M) for a GPU.
ModelConfig preset_config(const std::string& name, int64_t vocab_size);
std::vector<std::string> preset_names();

}  // namespace kvchain
