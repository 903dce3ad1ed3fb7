#include "app/commands.h"
#include "app/options.h"

#include <iostream>
#include <memory>

#include "data/loaders/public_datasets.h"
#include "data/stats.h"
#include "data/world/generate.h"
#include "engine/io/atomic_file.h"

namespace kvchain::app {
namespace {

struct ImportArgs {
  std::string format, input, out;
  bool strict = false;
};

void run_import(const ImportArgs& a) {
  data::LoadOptions options;
  options.strict = a.strict;
  auto dataset = data::load_qa_dataset(a.format, a.input, options);
  AtomicFileWriter writer(a.out);
  for (const auto& r : dataset.records) writer.stream() << r.to_json().dump() << "\n";
  writer.commit();
  std::cerr << dataset.report.summary() << "\nwrote " << a.out << "\n";
}

}  // namespace

void register_data_commands(CLI::App& app) {
  auto* data = app.add_subcommand("data", "Generate, inspect and import datasets");
  data->require_subcommand(1);

  auto generate_args = std::make_shared<data::GenerateOptions>();
  auto out_dir = std::make_shared<std::string>();
  auto* generate =
      data->add_subcommand("generate", "Write the embedded synthetic world and its four tasks");
  generate->add_option("--out", *out_dir, "Output directory")->required();
  generate->add_option("--seed", generate_args->seed, "Random seed (same seed, same bytes)")
      ->check(non_negative());
  generate->add_option("--scale", generate_args->scale, "Size multiplier (1: CPU smoke run)")
      ->check(CLI::Range(1, data::kMaxWorldScale));
  generate->add_option("--copy-lines", generate_args->copy_lines, "Lines of copy practice")
      ->check(CLI::Range(int64_t{0}, int64_t{10'000'000}));
  auto reading = std::make_shared<std::string>("cited");
  generate
      ->add_option("--reading", *reading,
                   "Reading documents' variety: fixed (15 cue styles), drawn (styles drawn from "
                   "marks), cited (drawn, with citation marks), checked (cited, with claims "
                   "judged true or false), compared (cited, with comparisons: which of two "
                   "came first) or spelled (compared, half the comparisons answered with both "
                   "values first, and claims)")
      ->capture_default_str();
  generate->callback([generate_args, out_dir, reading] {
    generate_args->reading = data::parse_reading_variety(*reading);
    data::generate_dataset(*out_dir, *generate_args, std::cout);
  });

  auto stats_dir = std::make_shared<std::string>();
  auto* stats = data->add_subcommand("stats", "Per-task counts and length histograms");
  stats->add_option("dir", *stats_dir, "Dataset directory")->required();
  stats->callback([stats_dir] { data::print_dataset_stats(*stats_dir, std::cout); });

  auto import_args = std::make_shared<ImportArgs>();
  auto* import =
      data->add_subcommand("import", "Convert a public dataset to kvchain's JSONL records");
  import->add_option("--format", import_args->format, "Input format")
      ->required()
      ->check(CLI::IsMember(data::qa_formats()));
  import->add_option("--input", import_args->input, "Input file")->required();
  import->add_option("--out", import_args->out, "Output JSONL")->required();
  import->add_flag("--strict", import_args->strict, "Fail on the first malformed record");
  import->callback([import_args] { run_import(*import_args);
});
}  // namespace kvchain::app

}  // namespace kvchain::app
