#pragma once

#include <torch/torch.h>

#include <optional>
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

// Which cached spans an operation takes, by member and role (like llama.cpp's sequence
// operations): those of `member` (every member's when unset) in `roles` (every role when empty).
struct SpanFilter {
  std::optional<std::string> member;
  std::vector<SegmentRole> roles;
  bool operator()(const SegmentTag& tag) const;
};

// A sequence's segments after `drop` takes some away: the slots kept, in order, and the kept
// segments over them, compacted to the front (what KVCache::drop does, and a batch row's
// eviction). `drop` takes a segment's tag.
struct KeptSpans {
  std::vector<int64_t> slots;
  std::vector<Segment> segments;
};
template <typename Select>
KeptSpans kept_spans(const std::vector<Segment>& segments, Select drop) {
  KeptSpans kept;
  for (const auto& segment : segments) {
    if (drop(segment.tag)) continue;
    const auto begin = static_cast<int64_t>(kept.slots.size());
    for (int64_t slot = segment.begin; slot < segment.end; ++slot) kept.slots.push_back(slot);
    kept.segments.push_back({segment.tag, begin, static_cast<int64_t>(kept.slots.size())});
  }
  return kept;
}

// Appends slots [begin, end) tagged `tag` to `segments`, extending the last segment when it has
// the tag and ends at `begin` (token-by-token decoding of one output stays one segment).
void append_segment(std::vector<Segment>& segments, const SegmentTag& tag, int64_t begin,
                    int64_t end);

// The slots a write stores its T new tokens at, named by the caller: the T slots after the
// filled ones (an ordinary append; attention reads the filled slots and the new ones), or T
// slots given as an int64 tensor on the cache's device (a shape-stable step; attention reads
// the cache's whole capacity, so every step runs the same kernels on the same buffers, which is
// what a CUDA graph replays).
//
// Named slots are [T], the same for every row, or [B, T], each row's own (a batch of sequences
// of different lengths, each row's bookkeeping kept by its caller: engine/chain/batch_runner.h).
struct CacheSlots {
  static CacheSlots next(int64_t tokens) { return {tokens, {}}; }
  static CacheSlots at(torch::Tensor slots) {
    const int64_t tokens = slots.dim() == 2 ? slots.size(1) : slots.numel();
    return {tokens, std::move(slots)};
  }
  int64_t tokens = 0;
  torch::Tensor index;  // the named slots; undefined for next()
};

// A layer's view of an open write, for a kernel that stores the new keys and values itself
// (kernels::rotary_write): the layer's whole buffers and the write's slots as a device tensor;
// then `attended_*`, what attention reads once the tokens are stored.
struct LayerWrite {
  torch::Tensor keys, values;  // [batch, kv_heads, capacity, head_dim]
  torch::Tensor slots;         // int64 [T] on the cache's device
  torch::Tensor attended_keys, attended_values;
};

// Per-layer keys and values (after RoPE) for a batch, in preallocated buffers
// [batch, kv_heads, capacity, head_dim], plus the position id and segment of every filled slot.
// A growable cache grows its buffers when a write needs more room (doubling, or to the size
// reserve() names); a static cache has a fixed capacity and refuses to grow, so decoding never
// reallocates. Slots never written hold zeros, not uninitialised memory, so a step that attends
// over the whole capacity under a mask never multiplies a NaN by zero.
//
// Writing has one protocol: begin_write(slots) opens a write of T tokens at slots the caller
// names; each layer stores its new keys and values with write() (or a kernel stores them
// through layer_write()); commit() records the positions and tags of the T' <= T slots after
// the filled ones, which then count as filled. end_write() closes a write without recording
// anything (a shape-stable step's caller commits later), and every other operation closes one a
// throwing forward left open.
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

  // Bytes of the filled slots, and of everything allocated (what the process holds). Dropping
  // spans shrinks the first; the buffers, and so the second, keep their size.
  int64_t bytes_used() const;
  int64_t bytes_reserved() const;

  // Grows a growable cache's buffers to `slots` (rounded up to kReserveGranularity) when they
  // hold fewer. A caller that knows how long a turn can be reserves once, before it: decoding
  // then never reallocates, no doubling leaves storage idle, and turns of similar length get
  // buffers of one size (which lets a replayed decode step be reused). A static cache keeps its
  // capacity.
  void reserve(int64_t slots);
  static constexpr int64_t kReserveGranularity = 64;
  // The buffers' device addresses: equal lists mean the same storage.
  std::vector<const void*> storage() const;

  // The write protocol (see above).
  void begin_write(CacheSlots slots);
  // An open write at named slots: attention reads the whole capacity.
  bool writes_named_slots() const { return write_.index.defined(); }
  std::pair<torch::Tensor, torch::Tensor> write(int64_t layer, const torch::Tensor& k,
                                                const torch::Tensor& v);
  LayerWrite layer_write(int64_t layer);
  void end_write();
  void commit(const std::vector<int64_t>& positions, const std::vector<TagSpan>& spans);
  void commit(const std::vector<int64_t>& positions, const SegmentTag& tag);
  // Appends ready-made keys and values (one [batch, kv_heads, n, head_dim] pair per layer, e.g. a
  // deep prompt's learned prefix) as n slots at `positions` under `tag`. Autograd flows through
  // the write, so a trained prefix can live in the cache during training.
  void append(const std::vector<torch::Tensor>& keys, const std::vector<torch::Tensor>& values,
              const std::vector<int64_t>& positions, const SegmentTag& tag);

  // Span operations. drop() removes the slots of every span `which` takes and closes the gaps;
  // keep() removes every other one. Kept keys keep their RoPE rotation and position ids, so
  // later tokens attend to them exactly as before, and new tokens continue the numbering where
  // it was. Both return the number of slots removed. copy() is an independent cache holding the
  // spans `which` takes (all by default), compacted the same way.
  int64_t drop(const SpanFilter& which);
  int64_t keep(const SpanFilter& which);
  KVCache copy(const SpanFilter& which = {}) const;
  // Drops every slot from `slots` on (segments are cut to match); truncate(0) empties the cache
  // and keeps its buffers for the next example.
  void truncate(int64_t slots);

  // Row operations for a batch whose rows hold sequences of their own (their slots, positions
  // and segments are the caller's; this cache's own bookkeeping stays empty): a copy of some
  // rows (`rows` int64 on the cache's device), those rows written back from such a copy, a
  // row's slots compacted to `kept` (in order, to the front), and ready-made keys and values
  // ([1, kv_heads, n, head_dim] per layer, a deep prompt's) stored at a row's slots [slot,
  // slot + n).
  KVCache select_rows(const torch::Tensor& rows) const;
  void put_rows(const torch::Tensor& rows, const KVCache& from);
  void compact_row(int64_t row, const std::vector<int64_t>& kept);
  void place(int64_t row, int64_t slot, const std::vector<torch::Tensor>& keys,
             const std::vector<torch::Tensor>& values);

 private:
  void grow_to(int64_t slots);
  // Removes every slot of the spans `drop` selects (a predicate over segments).
  template <typename Select>
  int64_t remove_spans(Select drop);

  int64_t batch_, kv_heads_, head_dim_;
  torch::TensorOptions options_;
  Layout layout_;
  int64_t capacity_ = 0;
  int64_t size_ = 0;
  int64_t next_position_ = 0;
  // The open write's slots; write_.tokens == 0 when none is open. `device_slots_` is the slots
  // as a device tensor, made once per write when a kernel asks (layer_write).
  CacheSlots write_;
  torch::Tensor device_slots_;
  std::vector<torch::Tensor> keys_, values_;
  std::vector<int64_t> positions_;
  std::vector<Segment> segments_;
};

}  // namespace kvchain
