// A JSONL file: every line parses or is refused with a kvchain::Error naming file and line.
#include "engine/io/error.h"
#include "engine/io/jsonl_reader.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = kvchain::fuzz::input_file(data, size, "records.jsonl");
  try {
    kvchain::JsonlReader reader(path, "the fuzz input");
    kvchain::Json record;
    while (reader.next(record)) {
    }
  } catch (const kvchain::Error&) {
  }
  return 0;
}
