#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/io/mapped_file.h"
#include "engine/io/safetensors_header.h"

namespace kvchain {

// A memory-mapped, fully validated .safetensors file. Construction checks its header
// (safetensors_header.h) and throws an Error naming the file and tensor, so later reads cannot go
// out of bounds.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(std::string path);

  const std::string& path() const { return path_; }
  bool contains(const std::string& name) const { return header_.entries.count(name) > 0; }
  const std::map<std::string, SafetensorsEntry>& entries() const { return header_.entries; }
  const std::map<std::string, std::string>& metadata() const { return header_.metadata; }

  // A CPU tensor owning a copy of the data.
  torch::Tensor load(const std::string& name) const;

 private:
  std::string path_;
  MappedFile file_;
  const char* data_ = nullptr;  // start of the data section
  SafetensorsHeader header_;
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
