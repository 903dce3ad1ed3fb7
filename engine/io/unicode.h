#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kvchain {

// The code point that starts at byte `at` of `text`, and in `length` its bytes; an invalid
// sequence is -1 of one byte.
int32_t code_point_at(std::string_view text, size_t at, size_t* length);
// `code_point` in UTF-8 at the end of `out`.
void append_code_point(std::string& out, int32_t code_point);

// Unicode general categories L* and N*: what both the SQuAD normaliser (Python's \w) and the
// BM25 analyzer count as part of a word.
bool is_letter_or_number(int32_t code_point);
// Unicode's White_Space property (Rust's char::is_whitespace).
bool is_white_space(int32_t code_point);
// The general categories P* (punctuation), Cc, Cf, Cs and Co (control, format, surrogate,
// private use: "other" as HF's BERT cleaning reads it, whose tables list no unassigned code
// point) and Mn (nonspacing marks).
bool is_punctuation(int32_t code_point);
bool is_other(int32_t code_point);
bool is_nonspacing_mark(int32_t code_point);

}  // namespace kvchain
