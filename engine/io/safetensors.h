#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kvchain {

struct SafetensorsEntry {
  torch::ScalarType dtype;
  std::vector<int64_t> shape;
  size_t begin = 0;  // byte offsets into the data section
  size_t end = 0;
};

// A memory-mapped, fully validated .safetensors file. Construction checks every header entry
// (dtype, shape, offsets in bounds, no overlap, no gap, no trailing bytes) and throws an Error
// naming the file and tensor, so later reads cannot go out of bounds.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(std::string path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::string& path() const { return path_; }
  bool contains(const std::string& name) const { return entries_.count(name) > 0; }
  const std::map<std::string, SafetensorsEntry>& entries() const { return entries_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // A CPU tensor owning a copy of the data.
  torch::Tensor load(const std::string& name) const;

 private:
  std::string path_;
  void* map_ = nullptr;
  size_t file_size_ = 0;
  const char* data_ = nullptr;  // start of the data section
  std::map<std::string, SafetensorsEntry> entries_;
  std::map<std::string, std::string> metadata_;
};

// Writes tensors (any device, any layout) in safetensors format, atomically.
void write_safetensors(const std::string& path,
                       const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// The safetensors dtype tag ("F32", "BF16", ...) for a torch dtype; throws for unsupported ones.
std::string safetensors_dtype_name(torch::ScalarType dtype);

// Refuses a weight holding NaN or Inf (a model or an adapter that would generate garbage without
// a word), naming `where` and the tensor.
void require_finite(const torch::Tensor& tensor, const std::string& where, const std::string& name);

}  // namespace kvchain
