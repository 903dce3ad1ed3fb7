#include "retrievers/retriever.h"

#include <filesystem>

#include "engine/io/error.h"
#include "engine/io/json_file.h"
#include "retrievers/bm25_index.h"
#include "retrievers/bm25_index_format.h"
#include "retrievers/dense_index.h"

namespace kvchain::retrievers {

std::unique_ptr<Retriever> open_retriever(const std::string& dir, const std::string& device) {
  const auto manifest_path = (std::filesystem::path(dir) / kIndexManifest).string();
  if (!std::filesystem::exists(manifest_path)) {
    throw Error(dir + ": no " + std::string(kIndexManifest) +
                " (not an index, or its build did not finish): build it with `kvchain index`");
  }
  const auto manifest = read_json_file(manifest_path);
  const auto kind =
      json_string(require_field(manifest, "kind", manifest_path), manifest_path + ": field 'kind'");
  if (kind == "bm25") {
    return std::make_unique<Bm25Index>((std::filesystem::path(dir) / kBm25FileName).string());
  }
  if (kind == "dense") return open_dense_index(dir, device);
  throw Error(manifest_path + ": field 'kind' is '" + kind + "' (expected bm25 or dense)");
}

}  // namespace kvchain::retrievers
