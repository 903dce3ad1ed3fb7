#include "data/loaders/record_reader.h"

#include <fstream>

#include "engine/io/error.h"

namespace kvchain::data {
namespace {

std::ifstream open_input(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open file");
  return in;
}

// Applies the skip-or-fail policy around one record.
class RecordSink {
 public:
  RecordSink(const std::string& path, const LoadOptions& options) : options_(options) {
    report_.path = path;
  }
  template <typename Body>
  void handle(const std::string& where, Body&& body) {
    try {
      body();
      ++report_.records;
    } catch (const Error& e) {
      fail(e.what());
    } catch (const nlohmann::json::exception& e) {
      fail(where + ": " + e.what());
    }
  }
  void fail(const std::string& problem) {
    if (options_.strict) throw Error(problem);
    ++report_.skipped;
    if (report_.problems.size() < options_.problems_kept) report_.problems.push_back(problem);
  }
  LoadReport finish() {
    if (report_.records == 0 && report_.skipped > 0) {
      throw Error(report_.path + ": no usable records. " + report_.summary());
    }
    return report_;
  }

 private:
  const LoadOptions& options_;
  LoadReport report_;
};

bool blank(const std::string& line) {
  return line.find_first_not_of(" \t\r") == std::string::npos;
}

}  // namespace

std::string LoadReport::summary() const {
  std::string s = path + ": " + std::to_string(records) + " records";
  if (skipped == 0) return s;
  s += ", skipped " + std::to_string(skipped) + ":";
  for (const auto& p : problems) s += "\n  " + p;
  if (static_cast<int64_t>(problems.size()) < skipped) {
    s += "\n  ... and " + std::to_string(skipped - static_cast<int64_t>(problems.size())) + " more";
  }
  return s;
}

LoadReport read_jsonl_records(const std::string& path, const LoadOptions& options,
                              const RecordParser& parse) {
  auto in = open_input(path);
  RecordSink sink(path, options);
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (blank(line)) continue;
    const auto where = path + ":" + std::to_string(number);
    Json value;
    try {
      value = Json::parse(line);
    } catch (const Json::parse_error& e) {
      sink.fail(where + ": invalid JSON at column " + std::to_string(e.byte));
      continue;
    }
    sink.handle(where, [&] { parse(value, where); });
  }
  return sink.finish();
}

LoadReport read_json_list_records(
    const std::string& path, const LoadOptions& options,
    const std::function<void(const nlohmann::ordered_json&, const std::string&)>& parse) {
  auto in = open_input(path);
  nlohmann::ordered_json list;
  try {
    list = nlohmann::ordered_json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(path + ": invalid JSON at byte " + std::to_string(e.byte));
  }
  if (!list.is_array())
    throw Error(path + ": expected a JSON list of records, got " + list.type_name());
  RecordSink sink(path, options);
  for (size_t i = 0; i < list.size(); ++i) {
    const auto where = path + ": item " + std::to_string(i);
    sink.handle(where, [&] { parse(list[i], where); });
  }
  return sink.finish();
}

namespace {

// Reads one TSV row, following quoted fields across newlines; false at end of file.
bool read_tsv_row(std::istream& in, std::vector<std::string>& fields, int64_t& line) {
  fields.assign(1, "");
  bool quoted = false, any = false;
  for (int c; (c = in.get()) != EOF;) {
    any = true;
    if (quoted) {
      if (c == '"' && in.peek() == '"') {
        fields.back() += static_cast<char>(in.get());
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        fields.back() += static_cast<char>(c);
      }
    } else if (c == '"' && fields.back().empty()) {
      quoted = true;
    } else if (c == '\t') {
      fields.emplace_back();
    } else if (c == '\n') {
      ++line;
      return true;
    } else if (c != '\r') {
      fields.back() += static_cast<char>(c);
    }
  }
  return any;
}

}  // namespace

LoadReport read_tsv_records(const std::string& path, const LoadOptions& options,
                            const RecordParser& parse) {
  auto in = open_input(path);
  std::vector<std::string> header, row;
  int64_t line = 1;
  if (!read_tsv_row(in, header, line)) throw Error(path + ": empty file (expected a header row)");
  RecordSink sink(path, options);
  for (int64_t start = line; read_tsv_row(in, row, line); start = line) {
    if (row.size() == 1 && blank(row[0])) continue;
    const auto where = path + ":" + std::to_string(start);
    if (row.size() != header.size()) {
      sink.fail(where + ": " + std::to_string(row.size()) + " fields, header has " +
                std::to_string(header.size()));
      continue;
    }
    Json object = Json::object();
    for (size_t i = 0; i < header.size(); ++i) object[header[i]] = row[i];
    sink.handle(where, [&] { parse(object, where); });
  }
  return sink.finish();
}

}  // namespace kvchain::data
