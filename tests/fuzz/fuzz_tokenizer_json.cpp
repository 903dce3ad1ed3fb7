// tokenizer.json: any bytes are refused with a kvchain::Error or load as a tokenizer that
// encodes and decodes; anything else (another exception, a crash) is a finding.
#include "engine/io/error.h"
#include "engine/tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto json = kvchain::Json::parse(data, data + size, nullptr, false);
  if (json.is_discarded()) return 0;
  try {
    const auto tokenizer = kvchain::Tokenizer::from_json(json, "fuzz");
    tokenizer.decode(tokenizer.encode("Hello, world! 1,234 naïve"));
  } catch (const kvchain::Error&) {
  }
  return 0;
}
