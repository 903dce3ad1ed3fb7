// config.json: refused with a kvchain::Error or read as a config whose sizes are sane.
#include <cstdlib>

#include "engine/io/error.h"
#include "engine/model/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto json = kvchain::Json::parse(data, data + size, nullptr, false);
  if (json.is_discarded()) return 0;
  try {
    const auto config = kvchain::ModelConfig::from_json(json, "fuzz");
    if (config.parameter_count() <= 0 || config.max_position_embeddings <= 0) std::abort();
    config.to_json();
  } catch (const kvchain::Error&) {
  }
  return 0;
}
