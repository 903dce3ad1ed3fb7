#include "data/world/copy_practice.h"

#include <vector>

#include "data/world/world.h"

namespace kvchain::data {

std::string copy_practice_text(Rng& rng, int64_t lines) {
  // Several wordings, so the skill is copying, not a reaction to one phrase.
  struct Wording {
    const char* first;
    const char* again;
  };
  static const std::vector<Wording> kWordings = {{"The list is ", ". Once more, the list is "},
                                                 {"Names: ", ". Again, the names are "},
                                                 {"Remember ", ". Repeat after me: "},
                                                 {"The guests were ", ". I said the guests were "}};
  std::string text;
  for (int64_t line = 0; line < lines; ++line) {
    std::string list;
    const auto words = rng.between(2, 10);
    for (int64_t i = 0; i < words; ++i) {
      if (i > 0) list += ' ';
      list += syllable_word(rng, static_cast<int>(rng.between(1, 3)));
    }
    const auto& wording = rng.pick(kWordings);
    text += wording.first + list + wording.again + list + ".\n";
  }
  return text;
}

}  // namespace kvchain::data
