#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/world/rng.h"

namespace kvchain::data {

// The fictional world behind the embedded datasets. Entities refer to each other by index.
struct Country {
  std::string name;
};
struct Place {
  std::string name;
  int country;
  int64_t population;
};
struct Person {
  std::string name;
  int birth_year;
  int birthplace;
  std::string occupation;
  int employer;  // organisation index
};
struct Organisation {
  std::string name;
  int founded;
  int headquarters;  // place index
  int founder;       // person index
  std::string industry;
};
struct Work {
  std::string title;
  std::string kind;  // novel, film, album, painting
  int year;
  int creator;  // person index
};

struct World {
  std::vector<Country> countries;
  std::vector<Place> places;
  std::vector<Person> people;
  std::vector<Organisation> organisations;
  std::vector<Work> works;
};

// A made-up capitalised word of `syllables` syllables and an optional coda ("Brekoul").
std::string syllable_word(Rng& rng, int syllables);

// Entity counts grow linearly with `scale` (1 = the CPU smoke size). Names are unique, and
// people come in families that share a surname, organisations in groups that share a root
// word, so every entity has similar-named distractors.
World generate_world(Rng& rng, int scale);

}  // namespace kvchain::data
