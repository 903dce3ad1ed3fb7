#include "engine/model/checkpoint_tensors.h"

#include <filesystem>

#include "engine/io/error.h"
#include "engine/io/json_file.h"

namespace kvchain {
namespace fs = std::filesystem;
std::map<std::string, std::string> checkpoint_weight_map(const std::string& dir) {
  const auto index_path = (fs::path(dir) / kCheckpointIndexFile).string();
  const auto single_path = (fs::path(dir) / kCheckpointSingleFile).string();
  std::map<std::string, std::string> map;
  if (fs::exists(index_path)) {
    const Json index = read_json_file(index_path);
    const auto& entries = require_field(index, "weight_map", index_path);
    if (!entries.is_object()) throw Error(index_path + ": 'weight_map' is not an object");
    for (const auto& [name, file] : entries.items()) {
      map[name] = (fs::path(dir) / json_string(file, index_path + ": weight_map." + name)).string();
    }
    return map;
  }
  if (!fs::exists(single_path)) {
    throw Error(dir + ": no " + kCheckpointSingleFile + " or " + kCheckpointIndexFile + " found");
  }
  SafetensorsFile file(single_path);
  for (const auto& [name, entry] : file.entries()) map[name] = single_path;
  return map;
}

CheckpointTensors::CheckpointTensors(const std::string& dir)
    : dir_(dir), files_(checkpoint_weight_map(dir)) {}

torch::Tensor CheckpointTensors::load(const std::string& name, torch::IntArrayRef shape) {
  const auto it = files_.find(name);
  if (it == files_.end()) throw Error(dir_ + ": checkpoint is missing tensor '" + name + "'");
  auto& file = open_[it->second];
  if (!file) file = std::make_unique<SafetensorsFile>(it->second);
  if (!file->contains(name)) {
    throw Error(it->second + ": missing tensor '" + name + "' (listed in the index)");
  }
  auto tensor = file->load(name);
  if (tensor.sizes() != shape) {
    throw Error(it->second + ": tensor '" + name + "' has shape " + c10::str(tensor.sizes()) +
                " but config.json implies " + c10::str(shape));
  }
  require_finite(tensor, it->second, name);
  return tensor;
}

}  // namespace kvchain
