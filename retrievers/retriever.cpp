#include "retrievers/retriever.h"

#include <filesystem>

#include "engine/io/error.h"
#include "engine/io/json_file.h"
#include "retrievers/bm25_index.h"
#include "retrievers/bm25_index_format.h"
#include "retrievers/dense_index.h"

namespace kvchain::retrievers {

std::unique_ptr<Retriever> open_retriever(const std::string& dir, const std::string& device,
                                          int64_t nprobe) {
  const auto manifest_path = (std::filesystem::path(dir) / kIndexManifest).string();
  if (!std::filesystem::exists(manifest_path)) {
    throw Error(dir + ": no " + std::string(kIndexManifest) +
                " (not an index, or its build did not finish): build it with `kvchain index`");
  }
  const auto manifest = read_json_file(manifest_path);
  const auto kind =
      json_string(require_field(manifest, "kind", manifest_path), manifest_path + ": field 'kind'");
  if (kind == "bm25") {
    if (nprobe > 0) throw Error(dir + ": nprobe applies to an IVF-PQ dense index, not BM25");
    auto index = std::make_unique<Bm25Index>((std::filesystem::path(dir) / kBm25FileName).string());
    // An index file copied in from another build answers from another corpus.
    if (!manifest.contains("checksum")) {
      throw Error(manifest_path + ": no 'checksum' (built by an older kvchain): rebuild the " +
                  "index with `kvchain index`");
    }
    const auto& checksum = manifest["checksum"];
    if (!checksum.is_number_unsigned() || checksum.get<uint64_t>() != index->checksum()) {
      throw Error(manifest_path + ": " + kBm25FileName +
                  " is not the file this index.json describes (checksum " + checksum.dump() +
                  ", the file's " + std::to_string(index->checksum()) +
                  "): rebuild the index with `kvchain index`");
    }
    // The fields a reader sees describe the file's header.
    const auto& h = index->header();
    const auto differs = [&](const char* key, const Json& file_value) {
      return manifest.contains(key) && manifest[key] != file_value;
    };
    for (const auto& [key, value] : {std::pair<const char*, Json>{"passages", h.passages},
                                     {"terms", h.terms},
                                     {"k1", h.k1},
                                     {"b", h.b},
                                     {"stem", h.stemmed == 1}}) {
      if (differs(key, value)) {
        throw Error(manifest_path + ": field '" + key + "' is " + manifest[key].dump() + ", but " +
                    kBm25FileName + " has " + value.dump() + ": rebuild the index");
      }
    }
    return index;
  }
  if (kind == "dense") return open_dense_index(dir, device, nprobe);
  throw Error(manifest_path + ": field 'kind' is '" + kind + "' (expected bm25 or dense)");
}

}  // namespace kvchain::retrievers
