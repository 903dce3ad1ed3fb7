#pragma once

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>

#include "engine/io/safetensors.h"

namespace kvchain {

// A checkpoint's weights: one file, or shards listed in an index.
inline constexpr const char* kCheckpointSingleFile = "model.safetensors";
inline constexpr const char* kCheckpointIndexFile = "model.safetensors.index.json";

// Tensor name -> the file holding it, for single-file (model.safetensors) and sharded
// (model.safetensors.index.json) checkpoints in `dir` alike.
std::map<std::string, std::string> checkpoint_weight_map(const std::string& dir);

// The tensors of a checkpoint directory, each read checked: present, of the shape its
// config.json implies and finite, or an Error naming the directory or file and the tensor. Each
// file is opened once, when a tensor of it is first read.
class CheckpointTensors {
 public:
  explicit CheckpointTensors(const std::string& dir);

  // Tensor name -> the file holding it.
  const std::map<std::string, std::string>& files() const { return files_; }
  bool contains(const std::string& name) const { return files_.count(name) > 0; }

  // `name`, as stored, after the checks above against `shape`.
  torch::Tensor load(const std::string& name, torch::IntArrayRef shape);

 private:
  std::string dir_;
  std::map<std::string, std::string> files_;
  std::map<std::string, std::unique_ptr<SafetensorsFile>> open_;
};

}  // namespace kvchain
