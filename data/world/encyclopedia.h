#pragma once

#include <map>
#include <string>
#include <vector>

#include "data/world/world.h"

namespace kvchain::data {

enum class Relation {
  kCountry,       // place -> country
  kPopulation,    // place -> number
  kBirthYear,     // person -> year
  kBirthplace,    // person -> place
  kOccupation,    // person -> occupation
  kEmployer,      // person -> organisation
  kFounded,       // organisation -> year
  kHeadquarters,  // organisation -> place
  kFounder,       // organisation -> person
  kIndustry,      // organisation -> industry
  kReleased,      // work -> year
  kCreator,       // work -> person
};

// One true statement about the world, where the corpus states it, and how a memory step
// recalls it.
struct Fact {
  Relation relation;
  std::string subject;
  std::string object;
  std::string sentence;    // the sentence in the corpus (one of several paraphrases)
  std::string statement;   // a canonical sentence, for memory steps and pretraining
  std::string passage_id;  // the corpus passage holding `sentence`
};

struct Passage {
  std::string id;
  std::string title;
  std::string text;                                             // without the title
  std::string contents() const { return title + "\n" + text; }  // FlashRAG's layout
};

// The world rendered as text: passages about every entity (2-6 sentences, paraphrased) and
// the facts each one states.
class Encyclopedia {
 public:
  Encyclopedia(World world, Rng& rng);

  const World& world() const { return world_; }
  const std::vector<Passage>& passages() const { return passages_; }
  const std::vector<Fact>& facts() const { return facts_; }
  const Passage& passage(const std::string& id) const;
  const Fact& fact(Relation relation, const std::string& subject) const;
  // Passages whose title shares a word with `title` (similar-named entities), then others.
  std::vector<const Passage*> distractors(const std::string& title, size_t count, Rng& rng) const;
  // Every fact in several phrasings, for the base model to learn the world from.
  std::string pretraining_text(Rng& rng) const;
  // Reading practice: per fact, its passage and a similar-named distractor, then the fact in
  // another phrasing. The restatement can only be predicted by finding the fact in the line, so
  // a small base pretrained on this (from a world of other entities) learns to use its context,
  // which retrieval and compression need, instead of recalling memorised facts only.
  std::string reading_text(Rng& rng) const;

 private:
  void add_entity(const std::string& title, std::vector<Fact> facts, Rng& rng);

  World world_;
  std::vector<Passage> passages_;
  std::vector<Fact> facts_;
  std::map<std::string, size_t> passage_index_;
  std::map<std::pair<Relation, std::string>, size_t> fact_index_;
  std::map<std::string, std::vector<size_t>> word_index_;  // title word -> passages
};

// The paraphrases of a fact ("X was born in 1901.", "The birth year of X is 1901.", ...).
std::vector<std::string> paraphrases(Relation relation, const std::string& subject,
                                     const std::string& object);

}  // namespace kvchain::data
