#include "eval/metrics.h"

#include <utf8proc.h>

#include <algorithm>
#include <map>

#include "engine/io/unicode.h"

namespace kvchain::eval {
namespace {

std::vector<utf8proc_int32_t> decode(const std::string& text) {
  std::vector<utf8proc_int32_t> out;
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  utf8proc_ssize_t at = 0;
  const auto size = static_cast<utf8proc_ssize_t>(text.size());
  while (at < size) {
    utf8proc_int32_t cp = 0;
    const auto used = utf8proc_iterate(bytes + at, size - at, &cp);
    if (used <= 0) {  // invalid byte: keep it as U+FFFD, as Python's errors="replace" would
      out.push_back(0xFFFD);
      ++at;
    } else {
      out.push_back(cp);
      at += used;
    }
  }
  return out;
}

std::string encode(const std::vector<utf8proc_int32_t>& cps) {
  std::string out;
  for (auto cp : cps) append_code_point(out, cp);
  return out;
}

// Python's str.isspace / str.split().
bool is_space(utf8proc_int32_t cp) {
  if ((cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F) || cp == 0x20 || cp == 0x85) {
    return true;
  }
  const auto category = utf8proc_category(cp);
  return category == UTF8PROC_CATEGORY_ZS || category == UTF8PROC_CATEGORY_ZL ||
         category == UTF8PROC_CATEGORY_ZP;
}

// Python re's \w for str patterns: Unicode letters and digits (and the underscore).
bool is_word(utf8proc_int32_t cp) {
  return cp == '_' || is_letter_or_number(cp);
}

bool is_ascii_punctuation(utf8proc_int32_t cp) {
  return cp < 128 &&
         std::string("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~").find(static_cast<char>(cp)) !=
             std::string::npos;
}

// Removes every a/an/the that stands between word boundaries (re.sub(r"\b(a|an|the)\b", " ")).
std::vector<utf8proc_int32_t> remove_articles(const std::vector<utf8proc_int32_t>& text) {
  static const std::vector<std::vector<utf8proc_int32_t>> articles = {
      {'t', 'h', 'e'}, {'a', 'n'}, {'a'}};
  std::vector<utf8proc_int32_t> out;
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    bool replaced = false;
    if (i == 0 || !is_word(text[i - 1])) {
      for (const auto& article : articles) {
        const size_t end = i + article.size();
        if (end <= n && std::equal(article.begin(), article.end(), text.begin() + i) &&
            (end == n || !is_word(text[end]))) {
          out.push_back(' ');
          i = end;
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out.push_back(text[i++]);
  }
  return out;
}

std::vector<std::string> tokens_of(const std::string& text) {
  std::vector<std::string> tokens;
  std::vector<utf8proc_int32_t> current;
  for (auto cp : decode(text)) {
    if (is_space(cp)) {
      if (!current.empty()) tokens.push_back(encode(current));
      current.clear();
    } else {
      current.push_back(cp);
    }
  }
  if (!current.empty()) tokens.push_back(encode(current));
  return tokens;
}

double f1_single(const std::string& prediction, const std::string& gold) {
  const auto predicted = tokens_of(normalize_answer(prediction));
  const auto expected = tokens_of(normalize_answer(gold));
  std::map<std::string, int> counts;
  for (const auto& t : expected) ++counts[t];
  int common = 0;
  for (const auto& t : predicted) {
    auto found = counts.find(t);
    if (found != counts.end() && found->second > 0) {
      --found->second;
      ++common;
    }
  }
  if (common == 0) return 0.0;
  const double precision = static_cast<double>(common) / static_cast<double>(predicted.size());
  const double recall = static_cast<double>(common) / static_cast<double>(expected.size());
  return 2 * precision * recall / (precision + recall);
}

}  // namespace

std::string normalize_answer(const std::string& text) {
  std::vector<utf8proc_int32_t> lowered;
  for (auto cp : decode(text)) {
    if (is_ascii_punctuation(cp)) continue;  // Python lowercases first; punctuation has no case
    lowered.push_back(utf8proc_tolower(cp));
  }
  std::string joined;
  for (const auto& token : tokens_of(encode(remove_articles(lowered)))) {
    joined += (joined.empty() ? "" : " ") + token;
  }
  return joined;
}

double exact_match(const std::string& prediction, const std::vector<std::string>& gold) {
  const auto normalized = normalize_answer(prediction);
  for (const auto& answer : gold) {
    if (normalize_answer(answer) == normalized) return 1.0;
  }
  return 0.0;
}

double token_f1(const std::string& prediction, const std::vector<std::string>& gold) {
  double best = 0.0;
  for (const auto& answer : gold) best = std::max(best, f1_single(prediction, answer));
  return best;
}

}  // namespace kvchain::eval
