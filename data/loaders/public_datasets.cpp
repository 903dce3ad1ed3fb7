#include "data/loaders/public_datasets.h"

#include <algorithm>
#include <unordered_map>

#include "data/loaders/record_reader.h"
#include "engine/io/error.h"

namespace kvchain::data {
namespace {

template <typename J>
std::string text_field(const J& object, const std::string& key, const std::string& where) {
  const auto& value = require_field(object, key, where);
  if (!value.is_string()) {
    throw Error(where + ": field '" + key + "': expected a string, got " + value.type_name());
  }
  auto text = value.template get<std::string>();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw Error(where + ": field '" + key + "' is empty");
  }
  return text;
}

// Ids may be strings or numbers; datasets without ids get "<dataset>-<record number>".
template <typename J>
std::string id_field(const J& object, const std::string& key, const std::string& fallback) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  return it->is_string() ? it->template get<std::string>() : it->dump();
}

std::string fallback_id(const std::string& dataset, const std::vector<QARecord>& so_far) {
  return dataset + "-" + std::to_string(so_far.size());
}

}  // namespace

QADataset load_flashrag_qa(const std::string& path, const LoadOptions& options) {
  QADataset d;
  d.report = read_jsonl_records(path, options, [&](const Json& j, const std::string& where) {
    QARecord r;
    r.question = text_field(j, "question", where);
    const auto& answers = require_field(j, "golden_answers", where);
    if (!answers.is_array()) {
      throw Error(where + ": field 'golden_answers': expected a list, got " + answers.type_name());
    }
    for (const auto& a : answers) {
      if (a.is_string() && !a.get<std::string>().empty()) {
        r.golden_answers.push_back(a.get<std::string>());
      } else if (a.is_number()) {
        r.golden_answers.push_back(a.dump());
      } else {
        throw Error(where + ": field 'golden_answers': an answer is " + a.type_name() +
                    (a.is_string() ? " (empty)" : "") + ", expected a non-empty string");
      }
    }
    if (r.golden_answers.empty())
      throw Error(where + ": field 'golden_answers': empty answer list");
    if (j.contains("metadata")) r.metadata = j["metadata"];
    r.id = id_field(j, "id", fallback_id("flashrag", d.records));
    d.records.push_back(std::move(r));
  });
  return d;
}

QADataset load_strategyqa(const std::string& path, const LoadOptions& options) {
  QADataset d;
  d.report = read_json_list_records(path, options, [&](const auto& j, const std::string& where) {
    QARecord r;
    r.question = text_field(j, "question", where);
    const auto& answer = require_field(j, "answer", where);
    if (!answer.is_boolean()) {
      throw Error(where + ": field 'answer': expected true or false, got " + answer.type_name());
    }
    r.golden_answers = {answer.template get<bool>() ? "yes" : "no"};
    for (const char* key : {"facts", "decomposition"}) {
      if (j.contains(key)) r.metadata[key] = Json::parse(j.at(key).dump());
    }
    r.id = id_field(j, "qid", fallback_id("strategyqa", d.records));
    d.records.push_back(std::move(r));
  });
  return d;
}

QADataset load_commonsenseqa(const std::string& path, const LoadOptions& options) {
  QADataset d;
  d.report = read_jsonl_records(path, options, [&](const Json& j, const std::string& where) {
    QARecord r;
    const auto& question = require_field(j, "question", where);
    r.question = text_field(question, "stem", where + ": field 'question'");
    const auto& choices = require_field(question, "choices", where + ": field 'question'");
    if (!choices.is_array() || choices.empty()) {
      throw Error(where + ": field 'question.choices': expected a non-empty list");
    }
    for (size_t i = 0; i < choices.size(); ++i) {
      const auto choice_where = where + ": field 'question.choices[" + std::to_string(i) + "]'";
      r.choices.push_back({text_field(choices[i], "label", choice_where),
                           text_field(choices[i], "text", choice_where)});
    }
    r.answer_key = text_field(j, "answerKey", where);
    auto it = std::find_if(r.choices.begin(), r.choices.end(),
                           [&](const Choice& c) { return c.label == r.answer_key; });
    if (it == r.choices.end()) {
      throw Error(where + ": field 'answerKey': '" + r.answer_key +
                  "' is not one of the choice labels");
    }
    r.golden_answers = {it->text};
    r.id = id_field(j, "id", fallback_id("commonsenseqa", d.records));
    d.records.push_back(std::move(r));
  });
  return d;
}

QADataset load_truthfulqa_mc(const std::string& path, const LoadOptions& options) {
  QADataset d;
  d.report = read_json_list_records(path, options, [&](const auto& j, const std::string& where) {
    QARecord r;
    r.question = text_field(j, "question", where);
    const auto& targets = require_field(j, "mc1_targets", where);
    if (!targets.is_object() || targets.empty()) {
      throw Error(where + ": field 'mc1_targets': expected an object of choice -> 0/1");
    }
    for (auto it = targets.begin(); it != targets.end(); ++it) {
      if (!it->is_number_integer() ||
          (it->template get<int>() != 0 && it->template get<int>() != 1)) {
        throw Error(where + ": field 'mc1_targets': the label of '" + it.key() + "' is not 0 or 1");
      }
      const std::string label(1, static_cast<char>('A' + r.choices.size() % 26));
      r.choices.push_back({label, it.key()});
      if (it->template get<int>() == 1) {
        if (!r.answer_key.empty())
          throw Error(where + ": field 'mc1_targets': more than one correct choice");
        r.answer_key = label;
        r.golden_answers = {it.key()};
      }
    }
    if (r.answer_key.empty()) throw Error(where + ": field 'mc1_targets': no correct choice");
    r.id = fallback_id("truthfulqa", d.records);
    d.records.push_back(std::move(r));
  });
  return d;
}

QADataset load_pubhealth(const std::string& path, const LoadOptions& options) {
  QADataset d;
  auto parse = [&](const Json& j, const std::string& where) {
    QARecord r;
    r.question = text_field(j, "claim", where);
    const auto& label = require_field(j, "label", where);
    static const std::vector<std::string> kLabels = {"false", "mixture", "true", "unproven"};
    std::string name;
    if (label.is_number_integer() && label.get<int>() >= 0 && label.get<int>() < 4) {
      name = kLabels[label.get<int>()];
    } else if (label.is_string()) {
      name = label.get<std::string>();
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return std::tolower(c); });
    }
    if (std::find(kLabels.begin(), kLabels.end(), name) == kLabels.end()) {
      throw Error(where + ": field 'label': " + label.dump() +
                  " is not one of true, false, mixture, unproven");
    }
    r.golden_answers = {name};
    r.id = id_field(j, "claim_id", fallback_id("pubhealth", d.records));
    d.records.push_back(std::move(r));
  };
  const bool tsv = path.size() >= 4 && path.compare(path.size() - 4, 4, ".tsv") == 0;
  d.report =
      tsv ? read_tsv_records(path, options, parse) : read_jsonl_records(path, options, parse);
  return d;
}

const std::vector<std::string>& qa_formats() {
  static const std::vector<std::string> formats = {"flashrag", "strategyqa", "commonsenseqa",
                                                   "truthfulqa", "pubhealth"};
  return formats;
}

namespace {

QADataset load_by_format(const std::string& format, const std::string& path,
                         const LoadOptions& options) {
  if (format == "flashrag") return load_flashrag_qa(path, options);
  if (format == "strategyqa") return load_strategyqa(path, options);
  if (format == "commonsenseqa") return load_commonsenseqa(path, options);
  if (format == "truthfulqa") return load_truthfulqa_mc(path, options);
  if (format == "pubhealth") return load_pubhealth(path, options);
  throw Error("unknown dataset format '" + format +
              "' (flashrag, strategyqa, commonsenseqa, truthfulqa, pubhealth)");
}

}  // namespace

QADataset load_qa_dataset(const std::string& format, const std::string& path,
                          const LoadOptions& options) {
  auto dataset = load_by_format(format, path, options);
  if (dataset.records.empty()) throw Error(path + ": holds no " + format + " records");
  // Scores are paired by id: a repeated one would pair an example with the wrong answer.
  std::unordered_map<std::string, size_t> first;
  for (size_t i = 0; i < dataset.records.size(); ++i) {
    const auto [at, fresh] = first.emplace(dataset.records[i].id, i);
    if (!fresh) {
      throw Error(path + ": record " + std::to_string(i + 1) + " repeats the id '" +
                  dataset.records[i].id + "' of record " + std::to_string(at->second + 1));
    }
  }
  return dataset;
}

LoadReport for_each_passage(const std::string& path, const LoadOptions& options,
                            const std::function<void(const CorpusPassage&)>& visit) {
  int64_t count = 0;
  return read_jsonl_records(path, options, [&](const Json& j, const std::string& where) {
    CorpusPassage p;
    p.id = id_field(j, "id", "passage-" + std::to_string(count));
    const auto contents = text_field(j, "contents", where);
    if (j.contains("title")) {
      p.title = text_field(j, "title", where);
      const auto newline = contents.find('\n');
      // FlashRAG repeats the title as the first line of contents; keep only the body.
      p.text = newline != std::string::npos && contents.compare(0, newline, p.title) == 0
                   ? contents.substr(newline + 1)
                   : contents;
    } else {
      const auto newline = contents.find('\n');
      p.title = contents.substr(0, newline);
      if (p.title.size() >= 2 && p.title.front() == '"' && p.title.back() == '"') {
        p.title = p.title.substr(1, p.title.size() - 2);
      }
      p.text = newline == std::string::npos ? "" : contents.substr(newline + 1);
    }
    ++count;
    visit(p);
  });
}

}  // namespace kvchain::data
