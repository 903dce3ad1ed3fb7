#include "engine/tokenizer/normalizer.h"

#include <utf8proc.h>

#include <cstdlib>

#include "engine/io/error.h"
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
    steps_.push_back({Kind::kUnicodeForm, stable | UTF8PROC_COMPOSE, {}, nullptr});
  } else if (type == "NFD") {
    steps_.push_back({Kind::kUnicodeForm, stable | UTF8PROC_DECOMPOSE, {}, nullptr});
  } else if (type == "NFKC") {
    steps_.push_back(
        {Kind::kUnicodeForm, stable | UTF8PROC_COMPOSE | UTF8PROC_COMPAT, {}, nullptr});
  } else if (type == "NFKD") {
    steps_.push_back(
        {Kind::kUnicodeForm, stable | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT, {}, nullptr});
  } else if (type == "Prepend") {
    steps_.push_back({Kind::kPrepend, 0,
                      json_string(require_field(json, "prepend", where), where + ".prepend"),
                      nullptr});
  } else if (type == "Replace") {
    steps_.push_back({Kind::kReplace, 0,
                      json_string(require_field(json, "content", where), where + ".content"),
                      std::make_shared<TextPattern>(TextPattern::from_json(
                          require_field(json, "pattern", where), where + ".pattern"))});
  } else {
    throw Error(where + ": unsupported normalizer '" + type +
                "' (kvchain supports NFC, NFD, NFKC, NFKD, Prepend, Replace and Sequence)");
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
    }
  }
  return out;
}

}  // namespace kvchain
