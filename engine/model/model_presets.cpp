#include "engine/model/model_presets.h"

#include "engine/io/error.h"
#include "engine/io/text.h"

namespace kvchain {
namespace {

struct Shape {
  const char* name;
  int64_t hidden, intermediate, layers, heads, kv_heads;
};

constexpr Shape kShapes[] = {
    {"tiny", 256, 768, 4, 8, 4},
    {"mini", 384, 1024, 8, 6, 2},
    {"small", 512, 1536, 8, 8, 4},
    {"base", 768, 2048, 12, 12, 4},
};

}  // namespace

ModelConfig preset_config(const std::string& name, int64_t vocab_size) {
  for (const auto& shape : kShapes) {
    if (name != shape.name) continue;
    ModelConfig c;
    c.vocab_size = vocab_size;
    c.hidden_size = shape.hidden;
    c.intermediate_size = shape.intermediate;
    c.num_hidden_layers = shape.layers;
    c.num_attention_heads = shape.heads;
    c.num_key_value_heads = shape.kv_heads;
    c.head_dim = shape.hidden / shape.heads;
    c.max_position_embeddings = 4096;
    c.rms_norm_eps = 1e-5;
    c.rope_theta = 10000.0;
    c.tie_word_embeddings = true;
    return c;
  }
  throw Error("unknown model preset '" + name + "' (" + join_names(preset_names()) + ")");
}

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const auto& shape : kShapes) names.push_back(shape.name);
  return names;
}

}  // namespace kvchain
