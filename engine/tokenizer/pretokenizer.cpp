#include "engine/tokenizer/pretokenizer.h"

#include <re2/re2.h>

#include "engine/io/error.h"
#include "engine/tokenizer/byte_level.h"

namespace kvchain {
namespace {

constexpr const char* kLookaheadIdiom = R"(\s+(?!\S)|\s+)";
constexpr const char* kWhitespace = R"(\t\n\x0B\f\r \x{85}\p{Z})";
constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr const char* kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// Rewrites \s and \S for re2, tracking whether we are inside a character class.
std::string translate_whitespace(const std::string& pattern, const std::string& where) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char next = pattern[++i];
      if (next == 's') {
        out += in_class ? std::string(kWhitespace) : "[" + std::string(kWhitespace) + "]";
      } else if (next == 'S') {
        if (in_class) throw Error(where + ": \\S inside a character class is not supported");
        out += "[^" + std::string(kWhitespace) + "]";
      } else {
        out += c;
        out += next;
      }
      continue;
    }
    if (c == '[' && !in_class)
      in_class = true;
    else if (c == ']' && in_class)
      in_class = false;
    out += c;
  }
  return out;
}

}  // namespace

RegexSplitter::RegexSplitter(const std::string& pattern, const std::string& where) {
  std::string p = pattern;
  const auto idiom = p.find(kLookaheadIdiom);
  if (idiom != std::string::npos) {
    p.replace(idiom, std::string(kLookaheadIdiom).size(), R"((\s+))");
    trailing_space_rule_ = true;
  }
  for (const char* lookaround : {"(?=", "(?!", "(?<"}) {
    if (p.find(lookaround) != std::string::npos) {
      throw Error(where +
                  ": regex look-around is not supported except the '\\s+(?!\\S)|\\s+' "
                  "idiom: " +
                  pattern);
    }
  }
  RE2::Options options;
  options.set_log_errors(false);
  re_ = std::make_unique<RE2>(translate_whitespace(p, where), options);
  if (!re_->ok()) throw Error(where + ": cannot compile regex: " + re_->error());
}

RegexSplitter::~RegexSplitter() = default;
RegexSplitter::RegexSplitter(RegexSplitter&&) noexcept = default;

std::vector<std::string_view> RegexSplitter::split(std::string_view text) const {
  std::vector<std::string_view> pieces;
  re2::StringPiece groups[2];
  const int ngroups = trailing_space_rule_ ? 2 : 1;
  size_t pos = 0;
  while (pos < text.size()) {
    if (!re_->Match(re2::StringPiece(text.data(), text.size()), pos, text.size(), RE2::UNANCHORED,
                    groups, ngroups)) {
      break;
    }
    size_t begin = groups[0].data() - text.data();
    size_t end = begin + groups[0].size();
    if (trailing_space_rule_ && groups[1].data() != nullptr && end < text.size()) {
      // `\s+(?!\S)` stops one character short of the non-space that follows.
      size_t last = end - 1;
      while (last > begin && (static_cast<unsigned char>(text[last]) & 0xC0) == 0x80) --last;
      if (last > begin) end = last;
    }
    if (end == begin) {  // an empty match: step over one character
      end = begin + utf8_char_length(static_cast<unsigned char>(text[begin]));
    }
    if (begin > pos) pieces.push_back(text.substr(pos, begin - pos));
    pieces.push_back(text.substr(begin, end - begin));
    pos = end;
  }
  if (pos < text.size()) pieces.push_back(text.substr(pos));
  return pieces;
}

void Pretokenizer::add_step(const Json& json, const std::string& where) {
  const std::string type = json_string(require_field(json, "type", where), where + ".type");
  if (type == "Sequence") {
    const auto& list = require_field(json, "pretokenizers", where);
    for (size_t i = 0; i < list.size(); ++i) {
      add_step(list[i], where + ".pretokenizers[" + std::to_string(i) + "]");
    }
    return;
  }
  Step step;
  if (type == "Split") {
    const auto& pattern = require_field(json, "pattern", where);
    if (!pattern.contains("Regex"))
      throw Error(where + ".pattern: only Regex patterns are supported");
    const auto behavior = json.value("behavior", std::string("Isolated"));
    if (behavior != "Isolated" || json.value("invert", false)) {
      throw Error(where + ": only behavior 'Isolated' without invert is supported");
    }
    step.splitter = std::make_unique<RegexSplitter>(
        json_string(pattern["Regex"], where + ".pattern.Regex"), where);
  } else if (type == "ByteLevel") {
    step.byte_level = true;
    step.add_prefix_space = json.value("add_prefix_space", false);
    if (json.value("use_regex", true))
      step.splitter = std::make_unique<RegexSplitter>(kGpt2Pattern, where);
  } else {
    throw Error(where + ": unsupported pre_tokenizer type '" + type + "'");
  }
  steps_.push_back(std::move(step));
}

Pretokenizer Pretokenizer::from_json(const Json& json, const std::string& where) {
  Pretokenizer p;
  if (json.is_null()) throw Error(where + ": a byte-level BPE needs a pre_tokenizer");
  p.add_step(json, where);
  bool byte_level = false;
  for (const auto& step : p.steps_) byte_level = byte_level || step.byte_level;
  if (!byte_level) throw Error(where + ": no ByteLevel step (only byte-level BPE is supported)");
  return p;
}

Json Pretokenizer::llama3_json() {
  return {{"type", "Sequence"},
          {"pretokenizers",
           {{{"type", "Split"},
             {"pattern", {{"Regex", kLlama3Pattern}}},
             {"behavior", "Isolated"},
             {"invert", false}},
            {{"type", "ByteLevel"},
             {"add_prefix_space", false},
             {"trim_offsets", true},
             {"use_regex", false}}}}};
}

std::vector<std::string> Pretokenizer::split(std::string_view text) const {
  std::vector<std::string> pieces = {std::string(text)};
  for (const auto& step : steps_) {
    std::vector<std::string> next;
    for (auto& piece : pieces) {
      if (step.add_prefix_space && (piece.empty() || piece[0] != ' ')) piece.insert(0, " ");
      if (step.splitter) {
        for (auto part : step.splitter->split(piece)) next.emplace_back(part);
      } else {
        next.push_back(std::move(piece));
      }
    }
    if (step.byte_level) {
      for (auto& piece : next) piece = bytes_to_unicode(piece);
    }
    pieces = std::move(next);
  }
  return pieces;
}

}  // namespace kvchain
