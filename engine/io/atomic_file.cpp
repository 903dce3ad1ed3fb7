#include "engine/io/atomic_file.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <cstdio>
#include <filesystem>

#include "engine/io/error.h"

namespace kvchain {

namespace {

// Removes the temporary files an interrupted writer of `path` left ("PATH.tmp.PID" of a
// process no longer running), so a finished rerun leaves none behind.
void remove_stale_temporaries(const std::filesystem::path& path) {
  const auto prefix = path.filename().string() + ".tmp.";
  std::error_code error;
  const auto parent = path.has_parent_path() ? path.parent_path() : ".";
  for (const auto& entry : std::filesystem::directory_iterator(parent, error)) {
    const auto name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const auto pid_text = name.substr(prefix.size());
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto pid = static_cast<pid_t>(std::stoll(pid_text));
    if (pid != ::getpid() && ::kill(pid, 0) == -1 && errno == ESRCH) {
      std::filesystem::remove(entry.path(), error);
    }
  }
}

}  // namespace

AtomicFileWriter::AtomicFileWriter(std::string path)
    : path_(std::move(path)), tmp_path_(path_ + ".tmp." + std::to_string(::getpid())) {
  if (path_.empty()) throw Error("an output path is empty");
  // Renaming over a link, a pipe or a device would replace it with a file: only regular files
  // are replaced.
  std::error_code error;
  const auto status = std::filesystem::symlink_status(path_, error);
  if (!error && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
    throw Error(path_ +
                ": exists and is not a regular file (a folder, link, pipe or device); "
                "kvchain writes only new or regular files");
  }
  const auto parent = std::filesystem::path(path_).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  remove_stale_temporaries(path_);
  out_.open(tmp_path_, std::ios::binary | std::ios::trunc);
  if (!out_) throw Error(path_ + ": cannot open '" + tmp_path_ + "' for writing");
}

AtomicFileWriter::~AtomicFileWriter() {
  if (!committed_) {
    out_.close();
    std::remove(tmp_path_.c_str());
  }
}

void AtomicFileWriter::commit() {
  out_.flush();
  if (!out_) throw Error(path_ + ": write failed (disk full?)");
  out_.close();
  if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    throw Error(path_ + ": cannot rename temporary file into place");
  }
  committed_ = true;
}

void write_file_atomic(const std::string& path, const std::string& contents) {
  AtomicFileWriter writer(path);
  writer.stream().write(contents.data(), static_cast<std::streamsize>(contents.size()));
  writer.commit();
}

}  // namespace kvchain
