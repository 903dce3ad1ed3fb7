#include "engine/model/kv_cache.h"

#include <algorithm>

#include "engine/io/error.h"

namespace kvchain {

const char* segment_role_name(SegmentRole role) {
  switch (role) {
    case SegmentRole::kShared:
      return "shared";
    case SegmentRole::kPrompt:
      return "prompt";
    case SegmentRole::kInput:
      return "input";
    case SegmentRole::kOutput:
      return "output";
    case SegmentRole::kOther:
      return "other";
  }
  return "other";
}

KVCache::KVCache(const ModelConfig& config, int64_t batch, torch::TensorOptions options,
                 int64_t capacity, Layout layout)
    : batch_(batch),
      kv_heads_(config.num_key_value_heads),
      head_dim_(config.head_dim),
      options_(options),
      layout_(layout),
      keys_(config.num_hidden_layers),
      values_(config.num_hidden_layers) {
  if (batch <= 0) throw Error("KVCache: batch must be positive");
  grow_to(std::max<int64_t>(capacity, 0));
}

torch::Tensor KVCache::keys(int64_t layer) const {
  return keys_.at(layer).narrow(2, 0, size_);
}
torch::Tensor KVCache::values(int64_t layer) const {
  return values_.at(layer).narrow(2, 0, size_);
}

int64_t KVCache::bytes_used() const {
  return 2 * num_layers() * batch_ * kv_heads_ * head_dim_ * size_ *
         static_cast<int64_t>(c10::elementSize(options_.dtype().toScalarType()));
}

int64_t KVCache::bytes_reserved() const {
  int64_t total = 0;
  for (size_t i = 0; i < keys_.size(); ++i) {
    total += keys_[i].nbytes() + values_[i].nbytes();
  }
  return total;
}

void KVCache::grow_to(int64_t slots) {
  for (size_t i = 0; i < keys_.size(); ++i) {
    auto k = torch::zeros({batch_, kv_heads_, slots, head_dim_}, options_);
    auto v = torch::zeros({batch_, kv_heads_, slots, head_dim_}, options_);
    if (size_ > 0) {
      k.narrow(2, 0, size_).copy_(keys_[i].narrow(2, 0, size_));
      v.narrow(2, 0, size_).copy_(values_[i].narrow(2, 0, size_));
    }
    keys_[i] = k;
    values_[i] = v;
  }
  capacity_ = slots;
}

void KVCache::reserve(int64_t slots) {
  if (slots <= capacity_) return;
  if (layout_ == Layout::kStatic && capacity_ > 0) {
    throw Error("KV cache is full: a static cache of " + std::to_string(capacity_) +
                " slots cannot hold " + std::to_string(slots) +
                " (create it with a larger capacity)");
  }
  grow_to(layout_ == Layout::kStatic ? slots : std::max(slots, 2 * capacity_));
}

void KVCache::fit(int64_t slots) {
  if (slots <= capacity_ || layout_ == Layout::kStatic) return;
  grow_to((slots + kFitGranularity - 1) / kFitGranularity * kFitGranularity);
}

std::vector<const void*> KVCache::storage() const {
  std::vector<const void*> addresses;
  for (size_t i = 0; i < keys_.size(); ++i) {
    addresses.push_back(keys_[i].data_ptr());
    addresses.push_back(values_[i].data_ptr());
  }
  return addresses;
}

KVCache KVCache::clone() const {
  KVCache copy = *this;
  for (size_t i = 0; i < keys_.size(); ++i) {
    copy.keys_[i] = keys_[i].clone();
    copy.values_[i] = values_[i].clone();
  }
  return copy;
}

void KVCache::truncate(int64_t slots) {
  if (slots < 0 || slots > size_) {
    throw Error("KVCache::truncate: " + std::to_string(slots) + " is outside [0, " +
                std::to_string(size_) + "]");
  }
  size_ = slots;
  clear_append();
  positions_.resize(slots);
  next_position_ = slots > 0 ? positions_.back() + 1 : 0;
  std::vector<Segment> kept;
  for (auto segment : segments_) {
    if (segment.begin >= slots) continue;
    segment.end = std::min(segment.end, slots);
    kept.push_back(segment);
  }
  segments_ = std::move(kept);
}

void KVCache::extend(const KVCache& other) {
  if (other.num_layers() != num_layers() || other.batch_ != batch_ ||
      other.kv_heads_ != kv_heads_ || other.head_dim_ != head_dim_) {
    throw Error("KVCache::extend: caches come from different model shapes or batch sizes");
  }
  const int64_t offset = size_;
  begin_append(other.size_);
  for (int64_t layer = 0; layer < num_layers(); ++layer) {
    write(layer, other.keys(layer), other.values(layer));
  }
  clear_append();
  size_ += other.size_;
  positions_.insert(positions_.end(), other.positions_.begin(), other.positions_.end());
  if (other.size_ > 0) next_position_ = other.next_position_;
  for (const auto& segment : other.segments_) {
    add_segment(segment.tag, segment.begin + offset, segment.end + offset);
  }
}

void KVCache::append(const std::vector<torch::Tensor>& keys,
                     const std::vector<torch::Tensor>& values,
                     const std::vector<int64_t>& positions, const SegmentTag& tag) {
  if (static_cast<int64_t>(keys.size()) != num_layers() ||
      static_cast<int64_t>(values.size()) != num_layers()) {
    throw Error("KVCache::append: expected keys and values for " + std::to_string(num_layers()) +
                " layers");
  }
  begin_append(static_cast<int64_t>(positions.size()));
  for (int64_t layer = 0; layer < num_layers(); ++layer) {
    write(layer, keys[layer].to(options_), values[layer].to(options_));
  }
  finish_append(positions, tag);
}

int64_t KVCache::evict(const std::function<bool(const Segment&)>& drop) {
  std::vector<int64_t> kept_slots;
  std::vector<Segment> kept_segments;
  for (const auto& segment : segments_) {
    if (drop(segment)) continue;
    const auto begin = static_cast<int64_t>(kept_slots.size());
    for (int64_t slot = segment.begin; slot < segment.end; ++slot) kept_slots.push_back(slot);
    kept_segments.push_back({segment.tag, begin, static_cast<int64_t>(kept_slots.size())});
  }
  const int64_t removed = size_ - static_cast<int64_t>(kept_slots.size());
  if (removed == 0) return 0;
  const auto index = torch::tensor(kept_slots, torch::kInt64).to(options_.device());
  const auto kept = static_cast<int64_t>(kept_slots.size());
  for (int64_t layer = 0; layer < num_layers(); ++layer) {
    // index_select copies first, so the compaction never reads a slot it has overwritten.
    keys_[layer].narrow(2, 0, kept).copy_(keys_[layer].index_select(2, index));
    values_[layer].narrow(2, 0, kept).copy_(values_[layer].index_select(2, index));
  }
  std::vector<int64_t> positions;
  positions.reserve(kept_slots.size());
  for (auto slot : kept_slots) positions.push_back(positions_[slot]);
  positions_ = std::move(positions);
  size_ = kept;
  clear_append();
  segments_.clear();
  for (const auto& segment : kept_segments) add_segment(segment.tag, segment.begin, segment.end);
  return removed;
}

void KVCache::begin_append(int64_t tokens) {
  reserve(size_ + tokens);
  clear_append();
  pending_ = tokens;
}

void KVCache::clear_append() {
  pending_ = 0;
  append_slots_ = torch::Tensor();
}

const torch::Tensor& KVCache::append_slots() {
  if (!append_slots_.defined() && pending_ > 0 && options_.device().is_cuda()) {
    append_slots_ = torch::arange(size_, size_ + pending_, options_.dtype(torch::kInt64));
  }
  return append_slots_;
}

std::pair<torch::Tensor, torch::Tensor> KVCache::appended(int64_t layer) const {
  return {keys_.at(layer).narrow(2, 0, size_ + pending_),
          values_.at(layer).narrow(2, 0, size_ + pending_)};
}

void KVCache::begin_write_at(const torch::Tensor& slots) {
  if (size_ + slots.numel() > capacity_) {
    throw Error("KVCache::begin_write_at: " + std::to_string(slots.numel()) +
                " tokens do not fit after " + std::to_string(size_) + " of " +
                std::to_string(capacity_) + " slots");
  }
  write_slots_ = slots;
}

void KVCache::end_write_at() {
  write_slots_ = torch::Tensor();
}

std::pair<torch::Tensor, torch::Tensor> KVCache::write(int64_t layer, const torch::Tensor& k,
                                                       const torch::Tensor& v) {
  if (write_slots_.defined()) {
    keys_.at(layer).index_copy_(2, write_slots_, k);
    values_.at(layer).index_copy_(2, write_slots_, v);
    return {keys_[layer], values_[layer]};
  }
  if (k.size(2) != pending_) throw Error("KVCache::write: begin_append() was not called");
  keys_.at(layer).narrow(2, size_, pending_).copy_(k);
  values_.at(layer).narrow(2, size_, pending_).copy_(v);
  return appended(layer);
}

void KVCache::finish_append(const std::vector<int64_t>& positions, const SegmentTag& tag) {
  finish_append(positions, std::vector<TagSpan>{{tag, static_cast<int64_t>(positions.size())}});
}

void KVCache::finish_append(const std::vector<int64_t>& positions,
                            const std::vector<TagSpan>& spans) {
  if (static_cast<int64_t>(positions.size()) != pending_) {
    throw Error("KVCache::finish_append: position count does not match the appended tokens");
  }
  int64_t begin = size_;
  for (const auto& span : spans) {
    add_segment(span.tag, begin, begin + span.length);
    begin += span.length;
  }
  if (begin != size_ + pending_) {
    throw Error("KVCache::finish_append: tag spans do not cover the appended tokens");
  }
  size_ += pending_;
  clear_append();
  positions_.insert(positions_.end(), positions.begin(), positions.end());
  if (!positions.empty()) next_position_ = positions.back() + 1;
}

void KVCache::add_segment(const SegmentTag& tag, int64_t begin, int64_t end) {
  if (begin == end) return;
  // Token-by-token decoding of one member's output stays one segment.
  if (!segments_.empty() && segments_.back().tag == tag && segments_.back().end == begin) {
    segments_.back().end = end;
    return;
  }
  segments_.push_back({tag, begin, end});
}

}  // namespace kvchain
