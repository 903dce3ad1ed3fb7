#include "engine/tokenizer/byte_level.h"

#include <array>
#include <unordered_map>

#include "engine/io/error.h"

namespace kvchain {
namespace {

std::string encode_codepoint(uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

// Printable Latin-1 bytes map to themselves; the rest to U+0100 onwards, in byte order.
const std::array<std::string, 256>& byte_table() {
  static const std::array<std::string, 256> table = [] {
    std::array<std::string, 256> t;
    uint32_t next = 256;
    for (uint32_t b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      t[b] = encode_codepoint(printable ? b : next++);
    }
    return t;
  }();
  return table;
}

const std::unordered_map<std::string, unsigned char>& char_table() {
  static const std::unordered_map<std::string, unsigned char> table = [] {
    std::unordered_map<std::string, unsigned char> t;
    for (int b = 0; b < 256; ++b) t[byte_table()[b]] = static_cast<unsigned char>(b);
    return t;
  }();
  return table;
}

}  // namespace

size_t utf8_char_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

std::string bytes_to_unicode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) out += byte_table()[b];
  return out;
}

std::string unicode_to_bytes(std::string_view token) {
  std::string out;
  const auto& table = char_table();
  for (size_t i = 0; i < token.size();) {
    const size_t n =
        std::min(utf8_char_length(static_cast<unsigned char>(token[i])), token.size() - i);
    auto it = table.find(std::string(token.substr(i, n)));
    if (it == table.end()) return std::string(token);
    out += static_cast<char>(it->second);
    i += n;
  }
  return out;
}

std::string sanitize_utf8(std::string_view text) {
  static const std::string kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t n = utf8_char_length(lead);
    bool valid = !(lead >= 0x80 && n == 1) && i + n <= text.size();
    uint32_t cp = n == 1 ? lead : lead & (0x7F >> n);
    for (size_t k = 1; valid && k < n; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      valid = (c & 0xC0) == 0x80;
      cp = (cp << 6) | (c & 0x3F);
    }
    // Reject overlong forms, surrogates and code points past U+10FFFF.
    static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (valid && (cp < kMin[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)) valid = false;
    if (valid) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      // Like from_utf8_lossy: skip the maximal invalid prefix (at least one byte).
      out += kReplacement;
      size_t k = 1;
      while (k < n && i + k < text.size() &&
             (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80) {
        ++k;
      }
      i += k;
    }
  }
  return out;
}

std::string one_character(std::string text, const std::string& where) {
  if (text.empty() || utf8_char_length(static_cast<unsigned char>(text[0])) != text.size()) {
    throw Error(where + " must be one character, not \"" + text + "\"");
  }
  return text;
}

}  // namespace kvchain
