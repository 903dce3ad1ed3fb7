// MappedFile: the bytes it maps, and the access hint the kernel records for the mapping.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "engine/io/error.h"
#include "engine/io/mapped_file.h"
#include "tests/support/test_support.h"

namespace kvchain {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// The VmFlags line /proc/self/smaps gives the mapping that starts at `start`.
std::string vm_flags_of(const void* start) {
  std::ifstream smaps("/proc/self/smaps");
  std::ostringstream address;
  address << std::hex << reinterpret_cast<uintptr_t>(start) << "-";
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    if (line.rfind(address.str(), 0) == 0) inside = true;
    if (inside && line.rfind("VmFlags:", 0) == 0) return line;
  }
  return "";
}

TEST(MappedFile, MapsTheFileAndRecordsEachAccessHint) {
  test::TempDir dir;
  const auto path = dir.file("rows.bin");
  std::ofstream(path, std::ios::binary) << std::string(1 << 16, 'x') << "end";
  const MappedFile file(path);
  ASSERT_EQ(file.size(), (1u << 16) + 3);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(file.data()) + (1 << 16), 3), "end");
  // smaps names madvise's hints: rr for random reads, sr for sequential ones.
  file.advise(MappedFile::Access::kRandom);
  EXPECT_THAT(vm_flags_of(file.data()), HasSubstr(" rr"));
  file.advise(MappedFile::Access::kSequential);
  EXPECT_THAT(vm_flags_of(file.data()), HasSubstr(" sr"));
  EXPECT_THAT(vm_flags_of(file.data()), Not(HasSubstr(" rr")));
  file.advise(MappedFile::Access::kNormal);
  EXPECT_THAT(vm_flags_of(file.data()), AllOf(HasSubstr("VmFlags:"), Not(HasSubstr(" sr"))));
}

TEST(MappedFile, AnEmptyFileMapsNothingAndAMissingOneIsAnErrorNamingIt) {
  test::TempDir dir;
  const auto empty = dir.file("empty.bin");
  std::ofstream(empty, std::ios::binary).flush();
  const MappedFile file(empty);
  EXPECT_EQ(file.data(), nullptr);
  file.advise(MappedFile::Access::kRandom);  // nothing to advise
  try {
    MappedFile missing(dir.file("missing.bin"));
    FAIL() << "mapped a missing file";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("missing.bin: cannot open"));
  }
}

}  // namespace
}  // namespace kvchain
