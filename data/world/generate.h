#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "data/world/encyclopedia.h"
#include "data/world/reading.h"
#include "data/world/rng.h"

namespace kvchain::data {

// The largest scale whose worlds have enough distinct names (about 14,000 passages).
inline constexpr int kMaxWorldScale = 100;

struct GenerateOptions {
  uint64_t seed = 1;
  int scale = 1;           // 1: the CPU smoke size (hundreds of examples per task); 50+: GPU runs
  int64_t copy_lines = 0;  // > 0: also copy.txt, copy practice for `pretrain --curriculum`
  ReadingVariety reading = ReadingVariety::kCited;  // documents.jsonl's cue styles
};

// The embedded world written to `out_dir`: corpus.jsonl, pretrain.txt, reading.txt,
// documents.jsonl and probe.jsonl (generic reading and its probe: data/world/reading.h),
// manifest.json, <task>/{train,dev,test}.jsonl for the four tasks, and copy.txt if asked for. Same
// options, byte-identical files. Each file is written atomically; progress lines go to `progress`.
void generate_dataset(const std::string& out_dir, const GenerateOptions& options,
                      std::ostream& progress);

// The encyclopedia generate_dataset renders for a world: drawn from the first two streams of
// `root` (the generator seeded with the world's seed), which it advances past them.
Encyclopedia draw_encyclopedia(Rng& root, int scale);

// Where a text file is expected, a world directory stands for one of its files: its pretraining
// text (pretrain.txt) or its copy practice (copy.txt, made with --copy-lines). Returns that
// file's path (an Error explains a world without it), or `path` itself when it is no directory.
enum class WorldText { kPretrain, kCopyPractice };
std::string world_text_file(const std::string& path, WorldText which);

// The task folders, in the paper's order.
const std::vector<std::string>& task_names();

}  // namespace kvchain::data
