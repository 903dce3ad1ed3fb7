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
    auto k = torch::empty({batch_, kv_heads_, slots, head_dim_}, options_);
    auto v = torch::empty({batch_, kv_heads_, slots, head_dim_}, options_);
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
  pending_ = 0;
  size_ += other.size_;
  positions_.insert(positions_.end(), other.positions_.begin(), other.positions_.end());
  if (other.size_ > 0) next_position_ = other.next_position_;
  for (const auto& segment : other.segments_) {
    add_segment(segment.tag, segment.begin + offset, segment.end + offset);
  }
}

void KVCache::begin_append(int64_t tokens) {
  reserve(size_ + tokens);
  pending_ = tokens;
}

std::pair<torch::Tensor, torch::Tensor> KVCache::write(int64_t layer, const torch::Tensor& k,
                                                       const torch::Tensor& v) {
  if (k.size(2) != pending_) throw Error("KVCache::write: begin_append() was not called");
  keys_.at(layer).narrow(2, size_, pending_).copy_(k);
  values_.at(layer).narrow(2, size_, pending_).copy_(v);
  return {keys_[layer].narrow(2, 0, size_ + pending_),
          values_[layer].narrow(2, 0, size_ + pending_)};
}

void KVCache::finish_append(const std::vector<int64_t>& positions, const SegmentTag& tag) {
  if (static_cast<int64_t>(positions.size()) != pending_) {
    throw Error("KVCache::finish_append: position count does not match the appended tokens");
  }
  add_segment(tag, size_, size_ + pending_);
  size_ += pending_;
  pending_ = 0;
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
