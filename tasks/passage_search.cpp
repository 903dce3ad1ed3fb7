#include "tasks/passage_search.h"

#include <filesystem>
#include <set>

#include "engine/io/content_hash.h"
#include "engine/io/error.h"
#include "engine/io/file_lock.h"
#include "engine/io/json_file.h"
#include "retrievers/bm25_index_builder.h"
#include "retrievers/bm25_index_format.h"
#include "retrievers/corpus.h"
#include "retrievers/dense_index.h"

namespace kvchain::tasks {
namespace fs = std::filesystem;

void PassageSearch::open() const {
  if (index_) return;
  const auto corpus = (fs::path(data_dir_) / "corpus.jsonl").string();
  if (!fs::exists(corpus)) {
    throw Error(corpus + ": no such file (this task retrieves from the dataset's corpus)");
  }
  const bool dense = !dense_.model.empty();
  index_name_ =
      dense ? "index-dense-" + content_hash(dense_.identity().dump()).substr(0, 16) : "index-bm25";
  const auto index_dir = (fs::path(data_dir_) / index_name_).string();
  // The index is the corpus's, made here when missing, made by a kvchain that recorded no
  // checksum in its index.json, or (BM25) written in another format version; made under a
  // lock, so that processes sharing the dataset (the ranks of one suite) make it once.
  const auto manifest = (fs::path(index_dir) / retrievers::kIndexManifest).string();
  const auto stale = [&] {
    if (!fs::exists(manifest)) return true;
    const auto recorded = read_json_file(manifest);
    return !recorded.contains("checksum") ||
           (!dense && recorded.value("format_version", Json()) != retrievers::kBm25FormatVersion);
  };
  make_once((fs::path(data_dir_) / ("." + index_name_ + ".lock")).string(), stale, [&] {
    if (dense) {
      retrievers::DenseIndexOptions options;
      options.corpus = corpus;
      options.out_dir = index_dir;
      options.model_dir = dense_.model;
      options.pooling = retrievers::parse_pooling(dense_.pooling);
      options.query_prefix = dense_.query_prefix;
      options.passage_prefix = dense_.passage_prefix;
      options.device = dense_.device;
      retrievers::build_dense_index(options);
    } else {
      retrievers::Bm25IndexOptions options;
      options.corpus = corpus;
      options.out_dir = index_dir;
      retrievers::build_bm25_index(options);
    }
  });
  index_ = retrievers::open_retriever(index_dir, dense ? dense_.device : "cpu");
  retrievers::CorpusReader reader(corpus);
  retrievers::Passage passage;
  while (reader.next(passage)) contents_[passage.id] = passage.contents;
}

std::vector<std::string> PassageSearch::passages(const std::vector<std::string>& queries) const {
  open();
  std::vector<std::string> found;
  std::set<std::string> seen;
  for (const auto& hits : index_->search(queries, k_, 1)) {
    for (const auto& hit : hits) {
      if (!seen.insert(hit.doc_id).second) continue;
      const auto it = contents_.find(hit.doc_id);
      if (it == contents_.end())
        throw Error(index_name_ + ": passage '" + hit.doc_id + "' is not in the corpus");
      found.push_back(it->second);
    }
  }
  return found;
}

std::string PassageSearch::retrieved(const std::vector<std::string>& queries) const {
  std::string text = "<retrieved>\n";
  for (const auto& passage : passages(queries)) text += passage + "\n";
  return text;
}

}  // namespace kvchain::tasks
