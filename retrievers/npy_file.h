#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "engine/io/atomic_file.h"
#include "engine/io/mapped_file.h"

namespace kvchain::retrievers {

// A float32 [rows, cols] NumPy .npy (format 1.0) streamed before its row count is known: the
// header is padded to a fixed size (the data 64-byte aligned, as NumPy wants) and rewritten on
// commit, which renames the file into place.
class NpyWriter {
 public:
  NpyWriter(const std::string& path, int64_t cols);
  void append(const torch::Tensor& rows);
  void commit();

 private:
  std::string header() const;
  AtomicFileWriter file_;
  int64_t cols_, rows_ = 0;
};

// A float32 [rows, cols] .npy memory-mapped read-only, as NpyWriter writes it (any header
// length); anything else is an Error naming the file.
class MappedNpy {
 public:
  explicit MappedNpy(const std::string& path);

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  const float* data() const { return data_; }
  void advise(MappedFile::Access access) const { file_.advise(access); }

 private:
  MappedFile file_;
  const float* data_ = nullptr;
  int64_t rows_ = 0, cols_ = 0;
};

}  // namespace kvchain::retrievers
