#pragma once

#include "engine/alignment/kv_space_adapter.h"
#include "engine/model/kv_cache.h"
#include "engine/model/model_config.h"

namespace kvchain {

// A sender model's K-V cache translated, through the shared latent space, into a receiver
// model's cache. Receiver layer j reads sender layer layer_mapping(S, R)[j]: its keys with the
// sender's RoPE undone at their positions, encoded by the sender's adapter and decoded by the
// receiver's, then rotated by the receiver's RoPE at the same positions; its values likewise,
// without rotation. The receiver then attends to the translated slots as to its own, at the
// positions and under the segment tags the sender's cache recorded, so its next tokens continue
// the numbering. Autograd flows from the receiver's loss into both adapters.
class CacheTranslation {
 public:
  CacheTranslation(const ModelConfig& sender, KVSpaceAdapter& from, const ModelConfig& receiver,
                   KVSpaceAdapter& to);

  // Appends every slot of `source` (a cache of the sender's) to `target` (the receiver's, in its
  // dtype and on its device), segment by segment. Keys are those a forward stored, rotated at
  // their positions (not a deep prompt's ready-made prefix).
  void translate(const KVCache& source, KVCache& target);

 private:
  ModelConfig sender_, receiver_;
  KVSpaceAdapter& from_;
  KVSpaceAdapter& to_;
};

}  // namespace kvchain
