// bm25.idx: refused with a kvchain::Error when opened, or searched without reading out of
// bounds (AddressSanitizer watches). The CRC is recomputed for inputs long enough to carry
// one, so the fuzzer reaches the consistency checks behind it.
#include <cstring>
#include <vector>

#include "engine/io/error.h"
#include "retrievers/bm25_index.h"
#include "retrievers/bm25_index_format.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  if (bytes.size() > sizeof(uint64_t)) {
    const auto footer = bytes.size() - sizeof(uint64_t);
    const uint64_t crc = kvchain::retrievers::crc32_update(0, bytes.data(), footer);
    std::memcpy(bytes.data() + footer, &crc, sizeof(crc));
  }
  const auto path = kvchain::fuzz::input_file(bytes.data(), bytes.size(), "bm25.idx");
  try {
    kvchain::retrievers::Bm25Index index(path);
    index.search({"cat sat", "dogs"}, 3, 1);
  } catch (const kvchain::Error&) {
  }
  return 0;
}
