#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/world/encyclopedia.h"

namespace kvchain::data {

// A question about the world with its gold answer and the facts that answer it, in the order
// a reader needs them. Every task's records are built from these.
struct Question {
  std::string kind;  // single_hop, bridge or comparison
  std::string text;
  std::vector<std::string> answers;  // the first is canonical; others are accepted forms
  std::vector<const Fact*> support;
  std::vector<std::string> subqueries;  // one single-hop question per supporting fact
};

// The canonical single-hop question that `fact` answers ("When was X born?").
std::string single_hop_text(const Fact& fact);

// The single-hop question that `fact` answers, in a paraphrase drawn from `rng`.
Question single_hop_question(const Fact& fact, Rng& rng);
// One question per fact, with paraphrased wording.
std::vector<Question> single_hop_questions(const Encyclopedia& e, Rng& rng);
// Two-hop questions through an entity ("In which year was the founder of X born?").
std::vector<Question> bridge_questions(const Encyclopedia& e, Rng& rng);
// "Which was founded first, X or Y?" over similar-named pairs where the answer is defined.
std::vector<Question> comparison_questions(const Encyclopedia& e, Rng& rng);

// Whether two subjects' values of `relation` compare: a year (born, founded, released) or a
// population.
bool comparable(Relation relation);
// How a comparison of `a` and `b` on a comparable relation is asked: as a choice ("Which was
// founded first, A or B?") or as yes or no ("Was A founded before B?", yes when A comes first).
std::string comparison_text(Relation relation, const std::string& a, const std::string& b,
                            bool yes_no);
// What a comparable relation's values are called in the plural: "years" or "populations".
const char* compared_values(Relation relation);
// Whether the value `a` comes first: the earlier year, or the larger population.
bool comes_first(Relation relation, int64_t a, int64_t b);

}  // namespace kvchain::data
