#pragma once

#include <fstream>
#include <string>

namespace kvchain {

// Writes to a temporary sibling and renames it over the target on commit(), so a reader (or a
// resumed run) never sees a half-written result or checkpoint. Without commit() the temporary
// file is removed.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::string path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  std::ofstream& stream() { return out_; }
  void commit();

 private:
  std::string path_;
  std::string tmp_path_;
  std::ofstream out_;
  bool committed_ = false;
};

void write_file_atomic(const std::string& path, const std::string& contents);

}  // namespace kvchain
