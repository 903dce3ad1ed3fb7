#include "app/commands.h"
#include "app/options.h"

#include <iostream>
#include <memory>

#include "engine/io/atomic_file.h"
#include "engine/io/error.h"
#include "engine/io/json_file.h"
#include "retrievers/bm25_index_builder.h"
#include "retrievers/dense_index.h"
#include "retrievers/recall.h"

namespace kvchain::app {
namespace {

// More threads than any machine has cores is a mistake, not a request.
constexpr int kMaxThreads = 1024;

struct IndexArgs {
  std::string kind = "bm25";
  retrievers::Bm25IndexOptions bm25;
  retrievers::DenseIndexOptions dense;
  std::string pooling = "mean";
  bool hnsw = false, ivfpq = false;
};

// Options of the other kind are refused rather than silently ignored.
void refuse_options(const CLI::App& command, const std::vector<std::string>& names,
                    const std::string& kind) {
  for (const auto& name : names) {
    if (command.count(name) > 0) throw Error(name + " does not apply to --kind " + kind);
  }
}

void run_index(const CLI::App& command, IndexArgs& a) {
  if (a.kind == "bm25") {
    refuse_options(command,
                   {"--model", "--pooling", "--query-prefix", "--passage-prefix", "--hnsw",
                    "--ivfpq", "--ivf-lists", "--pq-subquantizers", "--pq-bits", "--train-sample",
                    "--nprobe", "--refine", "--batch", "--max-tokens", "--device"},
                   a.kind);
    const auto summary = retrievers::build_bm25_index(a.bm25);
    std::cerr << "index: " << summary.passages << " passages, " << summary.terms << " terms, "
              << summary.postings << " postings";
    if (summary.runs > 0) std::cerr << ", merged from " << summary.runs << " runs";
    std::cerr << " in " << summary.seconds << " s; wrote " << a.bm25.out_dir << "\n";
    return;
  }
  refuse_options(command, {"--k1", "--b", "--stem", "--threads"}, a.kind);
  if (command.count("--model") == 0) throw Error("--kind dense needs --model (the encoder)");
  a.dense.corpus = a.bm25.corpus;
  a.dense.out_dir = a.bm25.out_dir;
  a.dense.pooling = retrievers::parse_pooling(a.pooling);
  if (a.hnsw && a.ivfpq) throw Error("--hnsw and --ivfpq are two index kinds: give one");
  if (!a.ivfpq) {
    refuse_options(command,
                   {"--ivf-lists", "--pq-subquantizers", "--pq-bits", "--train-sample", "--nprobe",
                    "--refine"},
                   a.hnsw ? "dense --hnsw" : "dense (flat)");
  }
  a.dense.faiss.kind = a.ivfpq  ? retrievers::FaissSpec::Kind::ivfpq
                       : a.hnsw ? retrievers::FaissSpec::Kind::hnsw
                                : retrievers::FaissSpec::Kind::flat;
  retrievers::build_dense_index(a.dense);
  std::cerr << "index: wrote " << a.dense.out_dir << "\n";
}

struct RetrieveArgs {
  std::string index, queries, out, device = "cpu";
  int64_t k = 5, nprobe = 0;
  int threads = 1;
};

void run_retrieve(const RetrieveArgs& a) {
  const auto records = retrievers::read_query_records(a.queries, "question");
  std::vector<std::string> questions;
  for (const auto& record : records) {
    if (record.queries.size() != 1) {
      throw Error(a.queries + ": record '" + record.id + "': field 'question' must be a string");
    }
    questions.push_back(record.queries.front());
  }
  const auto retriever = retrievers::open_retriever(a.index, a.device, a.nprobe);
  const auto hits = retriever->search(questions, a.k, a.threads);
  std::unique_ptr<AtomicFileWriter> file;
  if (!a.out.empty()) file = std::make_unique<AtomicFileWriter>(a.out);
  std::ostream& out = file ? file->stream() : std::cout;
  for (size_t i = 0; i < records.size(); ++i) {
    Json list = Json::array();
    for (const auto& hit : hits[i]) list.push_back({{"doc_id", hit.doc_id}, {"score", hit.score}});
    out << Json{{"id", records[i].id}, {"hits", list}}.dump() << "\n";
  }
  if (file) {
    file->commit();
    std::cerr << "retrieve: " << records.size() << " queries; wrote " << a.out << "\n";
  }
}

struct EvalArgs {
  std::string index, data, field = "question", gold_field = "supporting_passages", device = "cpu";
  std::vector<int64_t> ks = {1, 5, 20};
  int64_t nprobe = 0;
  int threads = 1;
};

void run_eval(const EvalArgs& a) {
  const auto records = retrievers::read_query_records(a.data, a.field, a.gold_field);
  const auto retriever = retrievers::open_retriever(a.index, a.device, a.nprobe);
  const auto report = retrievers::evaluate_recall(*retriever, records, a.ks, a.threads);
  Json out = {{"records", report.records}, {"searches", report.searches}, {"field", a.field}};
  for (const auto& [k, value] : report.recall) out["recall@" + std::to_string(k)] = value;
  std::cout << out.dump() << "\n";
}

}  // namespace

void register_retriever_commands(CLI::App& app) {
  auto index_args = std::make_shared<IndexArgs>();
  auto* index = app.add_subcommand("index", "Build a BM25 or dense passage index");
  index->add_option("--kind", index_args->kind, "bm25 or dense")
      ->check(CLI::IsMember({"bm25", "dense"}));
  index->add_option("--corpus", index_args->bm25.corpus, "JSONL {\"id\", \"contents\"}")
      ->required();
  index->add_option("--out", index_args->bm25.out_dir, "Index directory")->required();
  index->add_option("--k1", index_args->bm25.params.k1, "BM25 term saturation (Pyserini: 0.9)");
  index->add_option("--b", index_args->bm25.params.b, "BM25 length normalisation (Pyserini: 0.4)");
  index->add_flag("--stem", index_args->bm25.stem, "Porter-stem terms (BM25)");
  index->add_option("--threads", index_args->bm25.threads, "Analysis threads (BM25)")
      ->check(CLI::Range(1, kMaxThreads));
  index->add_option("--model", index_args->dense.model_dir, "Encoder checkpoint (dense)");
  index
      ->add_option("--pooling", index_args->pooling,
                   "mean or last (a Llama), cls or mean (a BERT-family encoder) (dense)")
      ->check(CLI::IsMember({"mean", "last", "cls"}));
  index->add_option("--query-prefix", index_args->dense.query_prefix,
                    "Text before each query, e.g. E5's \"query: \" (dense)");
  index->add_option("--passage-prefix", index_args->dense.passage_prefix,
                    "Text before each passage, e.g. E5's \"passage: \" (dense)");
  index->add_flag("--hnsw", index_args->hnsw, "HNSW instead of exact search (dense)");
  index->add_flag("--ivfpq", index_args->ivfpq,
                  "IVF-PQ instead of exact search: compressed codes for millions of passages");
  index
      ->add_option("--ivf-lists", index_args->dense.faiss.ivf_lists,
                   "Inverted lists (IVF-PQ; default about 4 sqrt(passages))")
      ->check(positive());
  index
      ->add_option("--pq-subquantizers", index_args->dense.faiss.pq_subquantizers,
                   "Codes a vector, a divisor of the dimension (IVF-PQ; default dimension / 8)")
      ->check(positive());
  index->add_option("--pq-bits", index_args->dense.faiss.pq_bits, "Bits a code (IVF-PQ; 8)")
      ->check(CLI::Range(1, 16));
  index
      ->add_option("--train-sample", index_args->dense.faiss.train_sample,
                   "Vectors IVF-PQ trains on (default 64 a list, at least 10,000)")
      ->check(positive());
  index
      ->add_option("--refine", index_args->dense.faiss.refine,
                   "Candidates a hit re-scored exactly from embeddings.npy (IVF-PQ; 100, 0: none)")
      ->check(CLI::NonNegativeNumber);
  index
      ->add_option("--nprobe", index_args->dense.faiss.nprobe,
                   "Lists a query searches unless `retrieve --nprobe` says (IVF-PQ; 16)")
      ->check(positive());
  index->add_option("--batch", index_args->dense.batch_size, "Passages per forward pass (dense)")
      ->check(positive());
  index->add_option("--max-tokens", index_args->dense.max_tokens, "Truncation length (dense)")
      ->check(positive());
  index->add_option("--device", index_args->dense.device, "cpu, cuda or cuda:N (dense)");
  index->callback([index, index_args] { run_index(*index, *index_args); });

  auto retrieve_args = std::make_shared<RetrieveArgs>();
  auto* retrieve = app.add_subcommand("retrieve", "Search an index; `retrieve eval` for recall");
  retrieve->require_subcommand(0, 1);
  retrieve->add_option("--index", retrieve_args->index, "Index directory");
  retrieve->add_option("--queries", retrieve_args->queries, "JSONL {\"id\", \"question\"}");
  retrieve->add_option("--k", retrieve_args->k, "Hits per query")->check(positive());
  retrieve->add_option("--out", retrieve_args->out, "JSONL {\"id\", \"hits\"} (default stdout)");
  retrieve->add_option("--threads", retrieve_args->threads, "Search threads")
      ->check(CLI::Range(1, kMaxThreads));
  retrieve->add_option("--device", retrieve_args->device, "Dense encoder device");
  retrieve->add_option("--nprobe", retrieve_args->nprobe, "Lists searched (IVF-PQ dense index)")
      ->check(positive());

  auto eval_args = std::make_shared<EvalArgs>();
  auto* eval = retrieve->add_subcommand("eval", "Recall@k against gold passage ids");
  eval->add_option("--index", eval_args->index, "Index directory")->required();
  eval->add_option("--data", eval_args->data, "Task records (JSONL) with gold passage ids")
      ->required();
  eval->add_option("--field", eval_args->field,
                   "Query field: a string, or a list of sub-queries whose hits are pooled");
  eval->add_option("--gold-field", eval_args->gold_field, "Gold passage id list");
  eval->add_option("--k", eval_args->ks, "Cut-offs, e.g. 1,5,20")->delimiter(',');
  eval->add_option("--threads", eval_args->threads, "Search threads")
      ->check(CLI::Range(1, kMaxThreads));
  eval->add_option("--device", eval_args->device, "Dense encoder device");
  eval->add_option("--nprobe", eval_args->nprobe, "Lists searched (IVF-PQ dense index)")
      ->check(positive());
  eval->callback([eval_args] { run_eval(*eval_args); });

  retrieve->callback([retrieve, eval, retrieve_args] {
    if (eval->parsed()) return;
    if (retrieve_args->index.empty() || retrieve_args->queries.empty()) {
      throw Error("retrieve: --index and --queries are required (or use `retrieve eval`)");
    }
    run_retrieve(*retrieve_args);
  });
}

}  // namespace kvchain::app
