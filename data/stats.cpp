#include "data/stats.h"

#include <filesystem>
#include <iomanip>
#include <sstream>
#include <vector>

#include "data/loaders/public_datasets.h"
#include "data/loaders/record_reader.h"
#include "data/world/generate.h"
#include "engine/io/error.h"

namespace kvchain::data {
namespace {

int64_t word_count(const std::string& text) {
  std::istringstream in(text);
  int64_t n = 0;
  for (std::string w; in >> w;) ++n;
  return n;
}

// Counts per bin; bin i holds values in [edges[i], edges[i+1]), the last is open-ended.
class Histogram {
 public:
  explicit Histogram(std::vector<int64_t> edges)
      : edges_(std::move(edges)), counts_(edges_.size()) {}
  void add(int64_t value) {
    size_t bin = 0;
    while (bin + 1 < edges_.size() && value >= edges_[bin + 1]) ++bin;
    ++counts_[bin];
    ++total_;
    sum_ += value;
  }
  void print(const std::string& title, std::ostream& out) const {
    out << title << " (n=" << total_ << ", mean " << std::fixed << std::setprecision(1)
        << (total_ ? static_cast<double>(sum_) / total_ : 0.0) << " words)\n";
    const int64_t most = *std::max_element(counts_.begin(), counts_.end());
    for (size_t i = 0; i < edges_.size(); ++i) {
      const auto label = i + 1 < edges_.size() && edges_[i + 1] == edges_[i] + 1
                             ? std::to_string(edges_[i])
                         : i + 1 < edges_.size()
                             ? std::to_string(edges_[i]) + "-" + std::to_string(edges_[i + 1] - 1)
                             : std::to_string(edges_[i]) + "+";
      const auto bar = most ? static_cast<size_t>(40 * counts_[i] / most) : 0;
      out << "  " << std::setw(7) << label << " " << std::setw(7) << counts_[i] << " "
          << std::string(bar, '#') << "\n";
    }
  }

 private:
  std::vector<int64_t> edges_;
  std::vector<int64_t> counts_;
  int64_t total_ = 0, sum_ = 0;
};

}  // namespace

void print_dataset_stats(const std::string& dir, std::ostream& out) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(dir)) throw Error(dir + ": not a directory");
  LoadOptions strict;
  strict.strict = true;
  Histogram answers({1, 2, 3, 4, 5, 9});
  out << std::left << std::setw(18) << "task" << std::right << std::setw(8) << "train"
      << std::setw(8) << "dev" << std::setw(8) << "test"
      << "\n";
  bool any = false;
  for (const auto& task : task_names()) {
    if (!fs::is_directory(fs::path(dir) / task)) continue;
    any = true;
    out << std::left << std::setw(18) << task << std::right;
    for (const char* split : {"train", "dev", "test"}) {
      const auto path = (fs::path(dir) / task / (std::string(split) + ".jsonl")).string();
      int64_t n = 0;
      if (fs::exists(path)) {
        read_jsonl_records(path, strict, [&](const Json& j, const std::string& where) {
          const auto& golden = require_field(j, "golden_answers", where);
          if (!golden.is_array() || golden.empty())
            throw Error(where + ": field 'golden_answers': empty");
          answers.add(word_count(json_string(golden[0], where + ": field 'golden_answers[0]'")));
          ++n;
        });
      }
      out << std::setw(8) << n;
    }
    out << "\n";
  }
  if (!any) throw Error(dir + ": no task folders (" + task_names().front() + "/, ...) found");
  out << "\n";
  answers.print("answer length", out);
  const auto corpus = (fs::path(dir) / "corpus.jsonl").string();
  if (fs::exists(corpus)) {
    Histogram passages({0, 10, 20, 30, 40, 60, 80});
    for_each_passage(corpus, strict,
                     [&](const CorpusPassage& p) { passages.add(word_count(p.text)); });
    out << "\n";
    passages.print("passage length", out);
  }
}

}  // namespace kvchain::data
