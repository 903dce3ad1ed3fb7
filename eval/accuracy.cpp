#include "eval/accuracy.h"

#include <cctype>
#include <sstream>

#include "eval/metrics.h"

namespace kvchain::eval {
namespace {

bool is_label(const std::string& gold) {
  return gold.size() == 1 && std::isalpha(static_cast<unsigned char>(gold[0]));
}

// The first standalone capital ASCII letter: "(B)" and "B." count, "Berlin" does not, nor the
// words "I" and "A" in a sentence ("I think", "A cat").
std::string first_label(const std::string& text) {
  const auto at = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  for (size_t i = 0; i < text.size(); ++i) {
    if (!std::isupper(at(i))) continue;
    const bool starts = i == 0 || !std::isalnum(at(i - 1));
    const bool ends = i + 1 == text.size() || !std::isalnum(at(i + 1));
    const bool word = (at(i) == 'I' || at(i) == 'A') && i + 2 < text.size() && at(i + 1) == ' ' &&
                      std::islower(at(i + 2));
    if (starts && ends && !word) return std::string(1, static_cast<char>(at(i)));
  }
  return "";
}

// The first word of the normalised text that is one of the pair ("yes"/"no", "true"/"false").
std::string first_of(const std::string& normalized, const char* a, const char* b) {
  std::istringstream words(normalized);
  std::string word;
  while (words >> word) {
    if (word == a || word == b) return word;
  }
  return "";
}

}  // namespace

std::string final_answer(const std::string& prediction) {
  std::string lower;
  for (const char c : prediction)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string marker = "answer is";
  const auto at = lower.rfind(marker);
  if (at == std::string::npos) return prediction;
  auto rest = prediction.substr(at + marker.size());
  const auto start = rest.find_first_not_of(" \t\n]:");
  return start == std::string::npos ? "" : rest.substr(start);
}

double choice_accuracy(const std::string& prediction, const std::vector<std::string>& gold) {
  const auto answer = final_answer(prediction);
  const auto normalized = normalize_answer(answer);
  for (const auto& g : gold) {
    const auto want = normalize_answer(g);
    bool match = false;
    if (is_label(g)) {
      match = first_label(answer) == std::string(1, static_cast<char>(std::toupper(g[0])));
    } else if (want == "yes" || want == "no") {
      match = first_of(normalized, "yes", "no") == want;
    } else if (want == "true" || want == "false") {
      match = first_of(normalized, "true", "false") == want;
    } else {
      match = normalized == want;
    }
    if (match) return 1.0;
  }
  return 0.0;
}

}  // namespace kvchain::eval
