#include "data/world/world.h"

#include <set>

#include "engine/io/error.h"

namespace kvchain::data {
namespace {

const std::vector<std::string> kOnsets = {"b", "d", "f", "g", "k",  "l",  "m",  "n",  "p",  "r",
                                          "s", "t", "v", "z", "br", "dr", "kr", "st", "th", "v"};
const std::vector<std::string> kVowels = {"a", "e", "i", "o", "u", "ai", "ei", "ou"};
const std::vector<std::string> kCodas = {"", "", "n", "r", "l", "s", "th", "m"};

const std::vector<std::string> kFirstNames = {
    "Aldo",  "Brina", "Cassin", "Delia", "Edrin", "Fenna", "Galen", "Hesper", "Ilse",  "Jorin",
    "Kaela", "Lucan", "Maren",  "Nils",  "Orla",  "Pavel", "Quill", "Rhea",   "Soren", "Talia",
    "Ulric", "Vesna", "Wren",   "Xavi",  "Yara",  "Zeno",  "Ansel", "Bettan", "Corin", "Dagny"};

const std::vector<std::string> kPlaceSuffixes = {"mora", "dale", "holm", "grad", "ford",
                                                 "wick", "stad", "port", "mere", "vale"};

struct Industry {
  std::string name;
  std::vector<std::string> suffixes;
};
const std::vector<Industry> kIndustries = {
    {"shipping", {"Lines", "Shipping"}},         {"software", {"Systems", "Labs"}},
    {"textiles", {"Mills", "Weavers"}},          {"mining", {"Minerals", "Mining"}},
    {"publishing", {"Press", "Books"}},          {"banking", {"Bank", "Savings"}},
    {"pharmaceuticals", {"Pharma", "Remedies"}}, {"aviation", {"Aero", "Airways"}}};

struct Occupation {
  std::string name;
  std::string work_kind;  // "" for occupations that create no works
};
const std::vector<Occupation> kOccupations = {{"novelist", "novel"}, {"film director", "film"},
                                              {"composer", "album"}, {"painter", "painting"},
                                              {"engineer", ""},      {"chemist", ""},
                                              {"banker", ""},        {"architect", ""},
                                              {"physician", ""},     {"journalist", ""}};

const std::vector<std::string> kAdjectives = {"Silent",  "Amber", "Hollow",  "Northern", "Last",
                                              "Crimson", "Quiet", "Distant", "Glass",    "Winter"};
const std::vector<std::string> kNouns = {"Harbor", "Orchard", "Lantern",  "Meridian", "Tide",
                                         "Garden", "Signal",  "Crossing", "Archive",  "Summit"};

std::string capitalize(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

// Draws names until one is new; the world is small relative to the name space.
template <typename Make>
std::string unique_name(std::set<std::string>& used, Make make) {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    auto name = make();
    if (used.insert(name).second) return name;
  }
  throw Error("data generate: ran out of distinct names (scale too large)");
}

}  // namespace

std::string syllable_word(Rng& rng, int syllables) {
  std::string word;
  for (int i = 0; i < syllables; ++i) word += rng.pick(kOnsets) + rng.pick(kVowels);
  return capitalize(word + rng.pick(kCodas));
}

World generate_world(Rng& rng, int scale) {
  if (scale < 1) throw Error("data generate: --scale must be at least 1");
  World w;
  std::set<std::string> used;

  for (int i = 0; i < 4 + 2 * scale; ++i) {
    w.countries.push_back({unique_name(used, [&] { return syllable_word(rng, 2) + "ia"; })});
  }
  // Places come in pairs that share a stem ("Kelmora", "New Kelmora") as retrieval distractors.
  for (int i = 0; i < 10 * scale; ++i) {
    const auto stem =
        unique_name(used, [&] { return syllable_word(rng, 1) + rng.pick(kPlaceSuffixes); });
    const int country = static_cast<int>(rng.below(w.countries.size()));
    w.places.push_back({stem, country, rng.between(12, 3000) * 1000});
    const auto twin =
        unique_name(used, [&] { return rng.percent(50) ? "New " + stem : stem + " Falls"; });
    w.places.push_back(
        {twin, static_cast<int>(rng.below(w.countries.size())), rng.between(12, 3000) * 1000});
  }
  // Families of three share a surname.
  for (int family = 0; family < 20 * scale; ++family) {
    const auto surname = unique_name(used, [&] { return syllable_word(rng, 2); });
    for (int member = 0; member < 3; ++member) {
      const auto name = unique_name(used, [&] { return rng.pick(kFirstNames) + " " + surname; });
      w.people.push_back({name, static_cast<int>(rng.between(1850, 1985)),
                          static_cast<int>(rng.below(w.places.size())), rng.pick(kOccupations).name,
                          -1});
    }
  }
  // Organisations come in pairs named after one root with two industry suffixes.
  for (int group = 0; group < 12 * scale; ++group) {
    const auto root = syllable_word(rng, 2);
    for (int member = 0; member < 2; ++member) {
      const auto& industry = rng.pick(kIndustries);
      const auto name = unique_name(used, [&] { return root + " " + rng.pick(industry.suffixes); });
      // The founder is an adult when the organisation is founded.
      int founder = static_cast<int>(rng.below(w.people.size()));
      const int founded = w.people[founder].birth_year + static_cast<int>(rng.between(25, 60));
      w.organisations.push_back(
          {name, founded, static_cast<int>(rng.below(w.places.size())), founder, industry.name});
    }
  }
  for (auto& person : w.people)
    person.employer = static_cast<int>(rng.below(w.organisations.size()));
  for (int p = 0; p < static_cast<int>(w.people.size()); ++p) {
    std::string kind;
    for (const auto& o : kOccupations) {
      if (o.name == w.people[p].occupation) kind = o.work_kind;
    }
    if (kind.empty() || !rng.percent(70)) continue;
    const auto title = unique_name(used, [&] {
      auto base = "The " + rng.pick(kAdjectives) + " " + rng.pick(kNouns);
      return rng.percent(40) ? base : base + " of " + syllable_word(rng, 2);
    });
    w.works.push_back(
        {title, kind, w.people[p].birth_year + static_cast<int>(rng.between(20, 55)), p});
  }
  return w;
}

}  // namespace kvchain::data
