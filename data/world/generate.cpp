#include "data/world/generate.h"

#include <cstdio>
#include <filesystem>
#include <functional>
#include <set>

#include "data/world/copy_practice.h"
#include "data/world/reading.h"
#include "data/world/task_records.h"
#include "engine/io/atomic_file.h"
#include "engine/io/error.h"

namespace kvchain::data {
namespace {

struct TaskSpec {
  std::string name, id_prefix;
  std::function<std::vector<Json>(const Encyclopedia&, Rng&)> build;
};

const std::vector<TaskSpec>& task_specs() {
  static const std::vector<TaskSpec> specs = {{"compression_qa", "cqa", compression_qa_records},
                                              {"rewrite_qa", "rqa", rewrite_qa_records},
                                              {"memory_reasoning", "mr", memory_reasoning_records},
                                              {"active_rag", "arag", active_rag_records},
                                              {"diagnostic", "diag", diagnostic_records}};
  return specs;
}

// Probe items of each layout a world's probe.jsonl holds.
constexpr size_t kProbeItemsPerLayout = 40;

void write_jsonl(const std::string& path, const std::vector<Json>& records) {
  AtomicFileWriter writer(path);
  for (const auto& r : records) writer.stream() << r.dump() << "\n";
  writer.commit();
}

// Identical questions (same text and choices) are kept once, so no question can sit in two
// splits; then 80/10/10 after a seeded shuffle.
std::map<std::string, std::vector<Json>> split(std::vector<Json> records, const std::string& prefix,
                                               Rng& rng) {
  std::set<std::string> seen;
  std::vector<Json> unique;
  for (auto& r : records) {
    const auto key =
        r["question"].get<std::string>() + (r.contains("choices") ? r["choices"].dump() : "");
    if (seen.insert(key).second) unique.push_back(std::move(r));
  }
  rng.shuffle(unique);
  const size_t n = unique.size(), test = n / 10, dev = n / 10;
  std::map<std::string, std::vector<Json>> splits;
  for (size_t i = 0; i < n; ++i) {
    const std::string name = i < test ? "test" : i < test + dev ? "dev" : "train";
    auto& bucket = splits[name];
    char id[64];
    std::snprintf(id, sizeof(id), "%s-%s-%05zu", prefix.c_str(), name.c_str(), bucket.size());
    Json record = {{"id", id}};
    record.update(unique[i]);
    bucket.push_back(std::move(record));
  }
  return splits;
}

// documents.jsonl, the world as generic reading for pretraining a base (every passage as prose,
// some with citation marks, and a reading document per question: data/world/reading.h), and
// probe.jsonl, the reading probe's items. Drawn from a stream of their own, so every other file of
// a seed is the same with or without them.
void write_reading_files(const std::string& out_dir, const Encyclopedia& e,
                         const GenerateOptions& options, Json& manifest, std::ostream& progress) {
  Rng root(options.seed ^ 0x52454144494E47ull);
  auto documents_rng = root.fork(1);
  auto probe_rng = root.fork(2);
  std::vector<Json> documents;
  for (const auto& p : e.passages()) {
    documents.push_back({{"text", passage_prose(p, options.reading, documents_rng)}});
  }
  for (const auto& d : reading_documents(e, options.reading, documents_rng))
    documents.push_back(document_json(d));
  documents_rng.shuffle(documents);
  write_jsonl(out_dir + "/documents.jsonl", documents);
  std::vector<Json> probe;
  for (const auto& d : probe_documents(e, kProbeItemsPerLayout, probe_rng)) {
    probe.push_back(probe_json(d));
  }
  write_jsonl(out_dir + "/probe.jsonl", probe);
  progress << "documents.jsonl: " << documents.size()
           << " reading documents; probe.jsonl: " << probe.size() << " probe items\n";
  manifest["documents"] = documents.size();
  manifest["probe_items"] = probe.size();
  manifest["reading"] = reading_variety_name(options.reading);
}

}  // namespace

const std::vector<std::string>& task_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& t : task_specs()) n.push_back(t.name);
    return n;
  }();
  return names;
}

Encyclopedia draw_encyclopedia(Rng& root, int scale) {
  auto world_rng = root.fork(1);
  auto text_rng = root.fork(2);
  return Encyclopedia(generate_world(world_rng, scale), text_rng);
}

void generate_dataset(const std::string& out_dir, const GenerateOptions& options,
                      std::ostream& progress) {
  if (out_dir.empty()) throw Error("data generate: the output directory is empty");
  // manifest.json is written last: a world being (re)written has none, so one that an
  // interruption left half old, half new is never taken for a finished world.
  std::error_code no_manifest_yet;
  std::filesystem::remove(std::filesystem::path(out_dir) / "manifest.json", no_manifest_yet);
  Rng root(options.seed);
  const auto e = draw_encyclopedia(root, options.scale);
  auto pretrain_rng = root.fork(3);
  const auto& w = e.world();

  std::vector<Json> corpus;
  for (const auto& p : e.passages()) corpus.push_back(passage_json(p));
  write_jsonl(out_dir + "/corpus.jsonl", corpus);
  progress << "corpus.jsonl: " << corpus.size() << " passages\n";
  write_file_atomic(out_dir + "/pretrain.txt", e.pretraining_text(pretrain_rng));
  progress << "pretrain.txt: " << e.facts().size() << " facts\n";

  Json manifest = {{"generator", "kvchain synthetic world v1"},
                   {"seed", options.seed},
                   {"scale", options.scale},
                   {"passages", corpus.size()},
                   {"facts", e.facts().size()},
                   {"entities",
                    {{"countries", w.countries.size()},
                     {"places", w.places.size()},
                     {"people", w.people.size()},
                     {"organisations", w.organisations.size()},
                     {"works", w.works.size()}}}};
  uint64_t stream = 10;
  for (const auto& task : task_specs()) {
    auto build_rng = root.fork(stream++);
    auto split_rng = root.fork(stream++);
    auto splits = split(task.build(e, build_rng), task.id_prefix, split_rng);
    for (const auto* name : {"train", "dev", "test"}) {
      write_jsonl(out_dir + "/" + task.name + "/" + name + ".jsonl", splits[name]);
      manifest["tasks"][task.name][name] = splits[name].size();
    }
    progress << task.name << ": " << splits["train"].size() << " train, " << splits["dev"].size()
             << " dev, " << splits["test"].size() << " test\n";
  }
  // Drawn after every task, so each seed's task files are the same with or without it.
  auto reading_rng = root.fork(stream);
  write_file_atomic(out_dir + "/reading.txt", e.reading_text(reading_rng));
  if (options.copy_lines > 0) {
    auto copy_rng = root.fork(stream + 1);
    write_file_atomic(out_dir + "/copy.txt", copy_practice_text(copy_rng, options.copy_lines));
    progress << "copy.txt: " << options.copy_lines << " lines of copy practice\n";
    manifest["copy_lines"] = options.copy_lines;
  }
  write_reading_files(out_dir, e, options, manifest, progress);
  write_json_file_atomic(out_dir + "/manifest.json", manifest);
}

std::string world_text_file(const std::string& path, WorldText which) {
  if (!std::filesystem::is_directory(path)) return path;
  const bool pretrain = which == WorldText::kPretrain;
  const auto file =
      (std::filesystem::path(path) / (pretrain ? "pretrain.txt" : "copy.txt")).string();
  if (!std::filesystem::exists(file)) {
    throw Error(file + ": no such file (" +
                (pretrain ? std::string("not a world directory: `kvchain data generate`")
                          : std::string("a world has copy.txt only when generated with `kvchain "
                                        "data generate --copy-lines N`")) +
                ")");
  }
  return file;
}

}  // namespace kvchain::data
