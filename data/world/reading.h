#pragma once

#include <string>
#include <vector>

#include "data/world/questions.h"
#include "engine/io/json_file.h"

namespace kvchain::data {

// Generic reading comprehension, the base model's pretraining in place of any chain layout: a
// document holds some context about a world (passages, a list, a table, a dialogue), a
// question and its short answer, in one of several shapes. None of them uses a task's tags,
// prompts or answer markers, so a base pretrained on them reads no method's layout better
// than another's.
enum class ReadingShape {
  kPassagesThenQuestion,  // the answer's passages among similar-named distractors, then Q and A
  kQuestionFirst,         // the question, then the passages, then the answer
  kList,                  // the facts of the answer's entity and of similar ones as a list
  kTable,                 // one relation of several entities as a table
  kDialogue,              // one speaker asks, the other reads a passage out and answers
  kGap,                   // passages, 60+ words of unrelated prose, then Q and A
  kQuote,                 // which sentence states a fact: the sentence copied from the passage
  kUnseen,                // the probe's held-out layout: section cues no training shape uses
  kClaimCheck,            // passages, then statements about them, each judged true or false
  kComparison,            // passages, then which of two came first (or is larger): the probe's
                          // measure of what Rewrite&QA's answering member needs
  kSpelledComparison,     // the comparison items asked for both values before the choice, as the
                          // spelled variety asks ("X 1861, Y 1823, so Y"; exact match of it all)
};
const char* reading_shape_name(ReadingShape shape);
// How varied a world's reading documents are. A base learns plain forms first and their
// variety after (data/base/README.md: the staged recipe), so its pretraining goes through these
// in order.
enum class ReadingVariety {
  kFixedStyles,  // cue words in 15 fixed written styles; passages without citation marks
  kDrawnStyles,  // styles drawn from opening marks, casings and closing marks
  kCited,        // drawn styles, and citation marks in half the prose passages (the default)
  kChecked,      // cited, and half the documents claim checks: statements judged by the context
  kCompared,     // cited, and half the documents comparisons: which of two the context shows
                 // came first (or is larger), asked as a choice or as yes or no
  kSpelled,      // compared, and half of those documents ask for both values before the choice
                 // ("... Give both years first." "X 1861, Y 1823, so Y"); a quarter of all
                 // documents claim checks, so that what the checked stages taught stays read
};
// "fixed", "drawn", "cited", "checked", "compared" and "spelled", and back (an Error lists the
// names for an unknown one).
const char* reading_variety_name(ReadingVariety variety);
ReadingVariety parse_reading_variety(const std::string& name);

// The probe's layouts: passages then question, question first, a list, a gap of unrelated
// prose, the unseen layout, a claim check (true or false), a comparison (which of two) and the
// same comparisons spelled out; each among similar-named distractors.
const std::vector<ReadingShape>& probe_shapes();

// One document: the text up to the answer's cue ("A:"), the answer forms a reader may give
// (the first is the one written, after a space, as a byte-level BPE splits " answer"), and the
// text after it. A probe's prompt is `before`, so it never ends in a space a trained base never
// saw alone.
struct ReadingDocument {
  ReadingShape shape = ReadingShape::kPassagesThenQuestion;
  std::string before;
  std::vector<std::string> answers;
  std::string after;
  std::string text() const { return before + " " + answers.front() + after; }
};

// A passage as prose (title, then text). With kCited, half of them carry citation marks after
// some of their sentences ("... in 1921.[3] ..."), as an encyclopedia's text does, so that
// square brackets are characters a base has read, though never around a cue (the probe's unseen
// layout).
std::string passage_prose(const Passage& p, ReadingVariety variety, Rng& rng);

// One document per question of the world (single-hop, bridge and comparison), each in a shape
// drawn from the seven reading shapes (kChecked: a claim check half the time instead), with its
// own cue words and context heading, asking two to six more single-hop questions (or claims)
// about other facts its context shows after the first answer (in `after`), its cue styles as
// `variety` says.
std::vector<ReadingDocument> reading_documents(const Encyclopedia& e, ReadingVariety variety,
                                               Rng& rng);
// `per_shape` probe items of each probe shape, one question each: single-hop questions, and
// comparisons for kComparison (drawn after the others, so the other layouts' items do not
// depend on it) and kSpelledComparison (the same items, asked spelled out, drawing nothing).
std::vector<ReadingDocument> probe_documents(const Encyclopedia& e, size_t per_shape, Rng& rng);

// {"text"} per document (pretraining JSONL), and {"layout", "prompt", "answers"} per probe item.
Json document_json(const ReadingDocument& document);
Json probe_json(const ReadingDocument& document);

}  // namespace kvchain::data
