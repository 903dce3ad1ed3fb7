#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kvchain::retrievers {

struct Hit {
  std::string doc_id;
  float score = 0;
};
using HitList = std::vector<Hit>;

// A searchable passage index. Results are best first; equal scores keep corpus order, so a
// ranking never depends on thread count or platform.
class Retriever {
 public:
  virtual ~Retriever() = default;
  // Top-k for every query, searched on `threads` threads.
  virtual std::vector<HitList> search(const std::vector<std::string>& queries, int64_t k,
                                      int threads) const = 0;
  virtual int64_t size() const = 0;  // passages in the index
};

// Every index directory holds index.json; its "kind" says which retriever reads the rest.
constexpr const char* kIndexManifest = "index.json";

// Opens what `kvchain index` wrote to `dir`; `device` is where a dense encoder runs, `nprobe`
// (0: the index's own) how many lists an IVF-PQ dense index searches.
std::unique_ptr<Retriever> open_retriever(const std::string& dir, const std::string& device,
                                          int64_t nprobe = 0);

}  // namespace kvchain::retrievers
