#include "engine/tokenizer/normalizer.h"

#include <utf8proc.h>

#include <cstdlib>

#include "engine/io/error.h"
#include "engine/io/unicode.h"
#include "engine/tokenizer/pipeline_json.h"

namespace kvchain {
namespace {

// `text` in the Unicode normalization form `options` selects (valid UTF-8 in, as encode()
// guarantees).
std::string unicode_form(std::string_view text, int options) {
  utf8proc_uint8_t* mapped = nullptr;
  const auto length = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                   static_cast<utf8proc_ssize_t>(text.size()), &mapped,
                                   static_cast<utf8proc_option_t>(options));
  if (length < 0) {
    throw Error(std::string("tokenizer: Unicode normalization failed: ") + utf8proc_errmsg(length));
  }
  std::string out(reinterpret_cast<const char*>(mapped), static_cast<size_t>(length));
  std::free(mapped);
  return out;
}

// `text` with each code point replaced by what `map` appends for it (valid UTF-8 in).
template <typename Map>
std::string map_code_points(std::string_view text, Map map) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0, length = 0; i < text.size(); i += length) {
    const auto c = code_point_at(text, i, &length);
    if (c >= 0) map(c, out);
  }
  return out;
}

// The blocks BERT spaces out as words of one character (CJK Unified Ideographs and their
// extensions and compatibility forms; not Hangul, Hiragana or Katakana).
bool is_cjk_ideograph(int32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

// Rust's char::to_lowercase, which HF applies to each code point: utf8proc's simple mapping,
// plus the one unconditional full mapping that is longer (U+0130 to "i" and a combining dot).
std::string lowercase(std::string_view text) {
  return map_code_points(text, [](int32_t c, std::string& out) {
    if (c == 0x130) {
      out += "i\xCC\x87";
    } else {
      append_code_point(out, utf8proc_tolower(c));
    }
  });
}

std::string strip_nonspacing_marks(std::string_view text) {
  return map_code_points(text, [](int32_t c, std::string& out) {
    if (!is_nonspacing_mark(c)) append_code_point(out, c);
  });
}

// BertNormalizer: control characters (but tab and newlines), NUL and U+FFFD removed and every
// white space a plain space; CJK ideographs between spaces; accents stripped after NFD; then
// lowercase.
std::string bert_normalize(std::string_view text, bool clean_text, bool handle_chinese_chars,
                           bool strip_accents, bool lowercased) {
  std::string out(text);
  if (clean_text || handle_chinese_chars) {
    out = map_code_points(out, [&](int32_t c, std::string& mapped) {
      const bool newline_or_tab = c == '\t' || c == '\n' || c == '\r';
      if (clean_text && (c == 0 || c == 0xFFFD || (is_other(c) && !newline_or_tab))) return;
      if (clean_text && (newline_or_tab || is_white_space(c))) {
        mapped += ' ';
      } else if (handle_chinese_chars && is_cjk_ideograph(c)) {
        mapped += ' ';
        append_code_point(mapped, c);
        mapped += ' ';
      } else {
        append_code_point(mapped, c);
      }
    });
  }
  if (strip_accents) {
    out = strip_nonspacing_marks(unicode_form(out, UTF8PROC_STABLE | UTF8PROC_DECOMPOSE));
  }
  return lowercased ? lowercase(out) : out;
}

}  // namespace

Normalizer Normalizer::from_json(const Json& json, const std::string& where) {
  Normalizer n;
  for_each_component(json, "normalizer", "normalizers", where,
                     [&](const Json& step, const std::string& type, const std::string& at) {
                       n.add_step(step, type, at);
                     });
  return n;
}

void Normalizer::add_step(const Json& json, const std::string& type, const std::string& where) {
  const int stable = UTF8PROC_STABLE;
  if (type == "NFC") {
    steps_.push_back({Kind::kUnicodeForm, stable | UTF8PROC_COMPOSE, {}, nullptr, {}});
  } else if (type == "NFD") {
    steps_.push_back({Kind::kUnicodeForm, stable | UTF8PROC_DECOMPOSE, {}, nullptr, {}});
  } else if (type == "NFKC") {
    steps_.push_back(
        {Kind::kUnicodeForm, stable | UTF8PROC_COMPOSE | UTF8PROC_COMPAT, {}, nullptr, {}});
  } else if (type == "NFKD") {
    steps_.push_back(
        {Kind::kUnicodeForm, stable | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT, {}, nullptr, {}});
  } else if (type == "Prepend") {
    steps_.push_back({Kind::kPrepend,
                      0,
                      json_string(require_field(json, "prepend", where), where + ".prepend"),
                      nullptr,
                      {}});
  } else if (type == "Replace") {
    steps_.push_back({Kind::kReplace,
                      0,
                      json_string(require_field(json, "content", where), where + ".content"),
                      std::make_shared<TextPattern>(TextPattern::from_json(
                          require_field(json, "pattern", where), where + ".pattern")),
                      {}});
  } else if (type == "BertNormalizer") {
    Step step{Kind::kBert, 0, {}, nullptr, {}};
    step.bert.clean_text = json_bool_field_or(json, "clean_text", true, where);
    step.bert.handle_chinese_chars = json_bool_field_or(json, "handle_chinese_chars", true, where);
    step.bert.lowercase = json_bool_field_or(json, "lowercase", true, where);
    // A null strip_accents follows lowercase, as BERT's uncased models strip and cased keep.
    step.bert.strip_accents = json.contains("strip_accents") && !json["strip_accents"].is_null()
                                  ? json_bool_field_or(json, "strip_accents", true, where)
                                  : step.bert.lowercase;
    steps_.push_back(step);
  } else if (type == "Lowercase") {
    steps_.push_back({Kind::kLowercase, 0, {}, nullptr, {}});
  } else if (type == "StripAccents") {
    steps_.push_back({Kind::kStripAccents, 0, {}, nullptr, {}});
  } else {
    throw Error(where + ": unsupported normalizer '" + type +
                "' (kvchain supports NFC, NFD, NFKC, NFKD, Prepend, Replace, BertNormalizer, "
                "Lowercase, StripAccents and Sequence)");
  }
}

std::string Normalizer::normalize(std::string_view text) const {
  std::string out(text);
  for (const auto& step : steps_) {
    switch (step.kind) {
      case Kind::kUnicodeForm:
        out = unicode_form(out, step.utf8proc_options);
        break;
      case Kind::kPrepend:
        if (!out.empty()) out.insert(0, step.text);
        break;
      case Kind::kReplace:
        out = step.pattern->replace(out, step.text);
        break;
      case Kind::kBert:
        out = bert_normalize(out, step.bert.clean_text, step.bert.handle_chinese_chars,
                             step.bert.strip_accents, step.bert.lowercase);
        break;
      case Kind::kLowercase:
        out = lowercase(out);
        break;
      case Kind::kStripAccents:
        out = strip_nonspacing_marks(out);
        break;
    }
  }
  return out;
}

}  // namespace kvchain
