#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kvchain {

// GPT-2's reversible byte <-> printable-character mapping used by byte-level BPE.
std::string bytes_to_unicode(std::string_view bytes);
// Inverse of bytes_to_unicode for one token; a token holding a character outside the mapping
// (an added token such as "<|eot|>" is mapped anyway) falls back to its raw UTF-8, as HF does.
std::string unicode_to_bytes(std::string_view token);

// Replaces every invalid UTF-8 sequence with U+FFFD, as Rust's from_utf8_lossy does.
std::string sanitize_utf8(std::string_view text);

// Length in bytes of the UTF-8 character starting with `lead` (1 for invalid lead bytes).
size_t utf8_char_length(unsigned char lead);

// `text` as one character (a tokenizer.json field that must be one), or an Error naming `where`.
std::string one_character(std::string text, const std::string& where);

}  // namespace kvchain
