#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "engine/model/model_config.h"

namespace kvchain {

// What a span of cached tokens is in a chain: FTHSS masks and evicts by these roles.
enum class SegmentRole { kShared, kPrompt, kInput, kOutput, kOther };
const char* segment_role_name(SegmentRole role);

struct SegmentTag {
  std::string member;  // chain member that produced the span ("" for shared content)
  SegmentRole role = SegmentRole::kOther;
  bool operator==(const SegmentTag& other) const {
    return member == other.member && role == other.role;
  }
};

// A run of `length` consecutive appended tokens that share a tag.
struct TagSpan {
  SegmentTag tag;
  int64_t length = 0;
};

struct Segment {
  SegmentTag tag;
  int64_t begin = 0;  // slot range [begin, end) in the cache
  int64_t end = 0;
};

// Per-layer keys and values (after RoPE) for a batch, in preallocated buffers
// [batch, kv_heads, capacity, head_dim], plus the position id and segment of every slot.
// A growable cache doubles its buffers when full; a static cache has a fixed capacity and
// refuses to grow, so decoding never reallocates. Slots never written hold zeros, not
// uninitialised memory, so a step that attends over the whole capacity under a mask never
// multiplies a NaN by zero.
class KVCache {
 public:
  enum class Layout { kGrowable, kStatic };

  KVCache(const ModelConfig& config, int64_t batch, torch::TensorOptions options,
          int64_t capacity = 0, Layout layout = Layout::kGrowable);

  int64_t size() const { return size_; }
  int64_t capacity() const { return capacity_; }
  int64_t batch() const { return batch_; }
  int64_t num_layers() const { return static_cast<int64_t>(keys_.size()); }
  Layout layout() const { return layout_; }
  torch::TensorOptions options() const { return options_; }
  // The position id the next appended token takes by default.
  int64_t next_position() const { return next_position_; }
  const std::vector<int64_t>& positions() const { return positions_; }
  const std::vector<Segment>& segments() const { return segments_; }

  // Views of the filled slots: [batch, kv_heads, size, head_dim].
  torch::Tensor keys(int64_t layer) const;
  torch::Tensor values(int64_t layer) const;

  // Bytes of the filled slots, and of everything allocated (what the process actually holds).
  int64_t bytes_used() const;
  int64_t bytes_reserved() const;

  void reserve(int64_t slots);
  // Grows a growable cache's buffers to `slots` (rounded up to kFitGranularity) when they hold
  // fewer. A caller that knows how long a turn can be fits the cache once, before it: decoding
  // then never reallocates, no doubling leaves storage idle, and turns of similar length get
  // buffers of one size (which lets a replayed decode step be reused). A static cache keeps
  // its capacity.
  void fit(int64_t slots);
  static constexpr int64_t kFitGranularity = 64;
  // The buffers' device addresses: equal lists mean the same storage.
  std::vector<const void*> storage() const;
  KVCache clone() const;
  // Drops every slot from `slots` on (segments are cut to match).
  void truncate(int64_t slots);
  // Appends all of `other`'s slots, positions and segments after this cache's.
  void extend(const KVCache& other);
  // Appends ready-made keys and values (one [batch, kv_heads, n, head_dim] pair per layer, e.g.
  // a deep prompt's learned prefix) as n slots at `positions` under `tag`. Autograd flows
  // through the write, so a trained prefix can live in the cache during training.
  void append(const std::vector<torch::Tensor>& keys, const std::vector<torch::Tensor>& values,
              const std::vector<int64_t>& positions, const SegmentTag& tag);
  // Removes the slots of every segment `drop` selects and closes the gaps. Kept keys keep their
  // RoPE rotation and position ids, so later tokens attend to them exactly as before; the
  // numbering of new tokens continues where it was. Returns the number of slots removed.
  int64_t evict(const std::function<bool(const Segment&)>& drop);

  // The model's append protocol: begin_append(t) makes room for t slots, write() stores one
  // layer's new keys/values and returns that layer's filled views including them, and
  // finish_append() commits the slots with their positions and tag (or tags).
  void begin_append(int64_t tokens);
  std::pair<torch::Tensor, torch::Tensor> write(int64_t layer, const torch::Tensor& k,
                                                const torch::Tensor& v);
  void finish_append(const std::vector<int64_t>& positions, const SegmentTag& tag);
  void finish_append(const std::vector<int64_t>& positions, const std::vector<TagSpan>& spans);
  // The shape-stable form of an append, for a step replayed as a CUDA graph: between
  // begin_write_at(slots) and end_write_at(), write() stores the T new tokens at the slots that
  // `slots` (an int64 [T] tensor on the cache's device) names and returns the whole buffers,
  // whatever the fill. The caller records the slots (begin_append(), finish_append()) itself.
  void begin_write_at(const torch::Tensor& slots);
  void end_write_at();
  // Between those calls, the slots, and a layer's whole buffers for a kernel that stores the
  // tokens itself (kernels::rotary_write); undefined outside them.
  const torch::Tensor& write_slots() const { return write_slots_; }
  std::pair<torch::Tensor, torch::Tensor> buffers(int64_t layer) const {
    return {keys_.at(layer), values_.at(layer)};
  }
  // During an ordinary append on a GPU, its slots as an int64 [t] tensor on the cache's device
  // (made once per append), for a kernel that stores the new keys and values itself; undefined
  // on a CPU or outside an append. appended(layer) is then what write() would have returned.
  const torch::Tensor& append_slots();
  std::pair<torch::Tensor, torch::Tensor> appended(int64_t layer) const;

 private:
  void grow_to(int64_t slots);
  // No append pending: after finish_append() and extend() commit theirs, and after truncate()
  // and evict(), which end one a throwing forward left open.
  void clear_append();
  void add_segment(const SegmentTag& tag, int64_t begin, int64_t end);

  int64_t batch_, kv_heads_, head_dim_;
  torch::TensorOptions options_;
  Layout layout_;
  int64_t capacity_ = 0;
  int64_t size_ = 0;
  int64_t pending_ = 0;
  int64_t next_position_ = 0;
  torch::Tensor write_slots_, append_slots_;
  std::vector<torch::Tensor> keys_, values_;
  std::vector<int64_t> positions_;
  std::vector<Segment> segments_;
};

}  // namespace kvchain
