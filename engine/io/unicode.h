#pragma once

#include <cstdint>

namespace kvchain {

// Unicode general categories L* and N*: what both the SQuAD normaliser (Python's \w) and the
// BM25 analyzer count as part of a word.
bool is_letter_or_number(int32_t code_point);

}  // namespace kvchain
