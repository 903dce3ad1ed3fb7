#include "engine/tokenizer/text_pattern.h"

#include <re2/re2.h>

#include "engine/io/error.h"
#include "engine/tokenizer/byte_level.h"

namespace kvchain {
namespace {

constexpr const char* kLookaheadIdiom = R"(\s+(?!\S)|\s+)";
constexpr const char* kWhitespace = R"(\t\n\x0B\f\r \x{85}\p{Z})";
constexpr const char* kDigit = R"(\p{Nd})";
constexpr const char* kWord = R"(\p{L}\p{M}\p{Nd}\p{Pc})";

// Rewrites \s, \d and \w (and their negations) for re2, whose classes are ASCII-only, to the
// Unicode classes Oniguruma gives them, tracking whether we are inside a character class.
std::string translate_classes(const std::string& pattern, const std::string& where) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char next = pattern[++i];
      const char* members = next == 's' || next == 'S'   ? kWhitespace
                            : next == 'd' || next == 'D' ? kDigit
                            : next == 'w' || next == 'W' ? kWord
                                                         : nullptr;
      if (members == nullptr) {
        out += c;
        out += next;
      } else if (next == 's' || next == 'd' || next == 'w') {
        out += in_class ? std::string(members) : "[" + std::string(members) + "]";
      } else if (in_class) {
        throw Error(where + ": \\" + next + " inside a character class is not supported");
      } else {
        out += "[^" + std::string(members) + "]";
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

TextPattern TextPattern::from_json(const Json& json, const std::string& where) {
  if (json.is_object() && json.size() == 1 && json.contains("String")) {
    return literal(json_string(json["String"], where + ".String"));
  }
  if (json.is_object() && json.size() == 1 && json.contains("Regex")) {
    return regex(json_string(json["Regex"], where + ".Regex"), where + ".Regex");
  }
  throw Error(where + ": a pattern is {\"String\": ...} or {\"Regex\": ...}");
}

TextPattern TextPattern::regex(const std::string& pattern, const std::string& where) {
  TextPattern p;
  std::string translated = pattern;
  const auto idiom = translated.find(kLookaheadIdiom);
  if (idiom != std::string::npos) {
    translated.replace(idiom, std::string(kLookaheadIdiom).size(), R"((\s+))");
    p.trailing_space_rule_ = true;
  }
  for (const char* lookaround : {"(?=", "(?!", "(?<"}) {
    if (translated.find(lookaround) != std::string::npos) {
      throw Error(where +
                  ": regex look-around is not supported except the '\\s+(?!\\S)|\\s+' "
                  "idiom: " +
                  pattern);
    }
  }
  RE2::Options options;
  options.set_log_errors(false);
  p.re_ = std::make_unique<RE2>(translate_classes(translated, where), options);
  if (!p.re_->ok()) throw Error(where + ": cannot compile regex: " + p.re_->error());
  return p;
}

TextPattern TextPattern::literal(std::string text) {
  TextPattern p;
  p.literal_ = std::move(text);
  return p;
}

TextPattern::~TextPattern() = default;
TextPattern::TextPattern(TextPattern&&) noexcept = default;
TextPattern& TextPattern::operator=(TextPattern&&) noexcept = default;

std::vector<TextPattern::Span> TextPattern::spans(std::string_view text) const {
  if (text.empty()) return {{0, 0, false}};
  std::vector<Span> spans;
  size_t covered = 0;  // the end of the last span
  const auto add_match = [&](size_t begin, size_t end) {
    if (begin > covered) spans.push_back({covered, begin, false});
    spans.push_back({begin, end, true});
    covered = end;
  };
  if (!re_) {
    if (literal_.empty()) return {{0, text.size(), false}};
    for (size_t at = text.find(literal_); at != std::string_view::npos;
         at = text.find(literal_, at + literal_.size())) {
      add_match(at, at + literal_.size());
    }
  } else {
    re2::StringPiece groups[2];
    const int ngroups = trailing_space_rule_ ? 2 : 1;
    const re2::StringPiece whole(text.data(), text.size());
    size_t search = 0;  // where the next match may start
    while (search <= text.size() &&
           re_->Match(whole, search, text.size(), RE2::UNANCHORED, groups, ngroups)) {
      const size_t begin = groups[0].data() - text.data();
      size_t end = begin + groups[0].size();
      if (trailing_space_rule_ && groups[1].data() != nullptr && end < text.size()) {
        // `\s+(?!\S)` stops one character short of the non-space that follows.
        size_t last = end - 1;
        while (last > begin && (static_cast<unsigned char>(text[last]) & 0xC0) == 0x80) --last;
        if (last > begin) end = last;
      }
      add_match(begin, end);
      // After an empty match the search moves on by one character, as a regex iterator does.
      search = end > begin ? end
                           : end + (end < text.size()
                                        ? utf8_char_length(static_cast<unsigned char>(text[end]))
                                        : 1);
    }
  }
  if (covered < text.size()) spans.push_back({covered, text.size(), false});
  return spans;
}

std::string TextPattern::replace(std::string_view text, const std::string& content) const {
  std::string out;
  for (const auto& span : spans(text)) {
    if (span.match) {
      out += content;
    } else {
      out.append(text.substr(span.begin, span.end - span.begin));
    }
  }
  return out;
}

SplitBehavior split_behavior_from_name(const std::string& name, const std::string& where) {
  if (name == "Removed") return SplitBehavior::kRemoved;
  if (name == "Isolated") return SplitBehavior::kIsolated;
  if (name == "MergedWithPrevious") return SplitBehavior::kMergedWithPrevious;
  if (name == "MergedWithNext") return SplitBehavior::kMergedWithNext;
  if (name == "Contiguous") return SplitBehavior::kContiguous;
  throw Error(where + ": unknown split behavior '" + name +
              "' (Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous)");
}

std::vector<std::pair<size_t, size_t>> split_spans(std::vector<TextPattern::Span> spans,
                                                   SplitBehavior behavior, bool invert) {
  if (invert) {
    for (auto& span : spans) span.match = !span.match;
  }
  std::vector<std::pair<size_t, size_t>> pieces;
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::kRemoved:
      for (const auto& span : spans) {
        if (!span.match) pieces.emplace_back(span.begin, span.end);
      }
      break;
    case SplitBehavior::kIsolated:
      for (const auto& span : spans) pieces.emplace_back(span.begin, span.end);
      break;
    case SplitBehavior::kMergedWithPrevious:
      // A match joins the piece before it, unless that piece is a match too.
      for (const auto& span : spans) {
        if (span.match && !previous_match && !pieces.empty()) {
          pieces.back().second = span.end;
        } else {
          pieces.emplace_back(span.begin, span.end);
        }
        previous_match = span.match;
      }
      break;
    case SplitBehavior::kMergedWithNext:
      // A match joins the piece after it, unless that piece is a match too.
      for (auto span = spans.rbegin(); span != spans.rend(); ++span) {
        if (span->match && !previous_match && !pieces.empty()) {
          pieces.back().first = span->begin;
        } else {
          pieces.emplace_back(span->begin, span->end);
        }
        previous_match = span->match;
      }
      std::reverse(pieces.begin(), pieces.end());
      break;
    case SplitBehavior::kContiguous:
      // Consecutive matches form one piece.
      for (size_t i = 0; i < spans.size(); ++i) {
        if (i > 0 && spans[i].match && previous_match) {
          pieces.back().second = spans[i].end;
        } else {
          pieces.emplace_back(spans[i].begin, spans[i].end);
        }
        previous_match = spans[i].match;
      }
      break;
  }
  std::vector<std::pair<size_t, size_t>> kept;
  for (const auto& piece : pieces) {
    if (piece.second > piece.first) kept.push_back(piece);
  }
  return kept;
}

}  // namespace kvchain
