// A BM25 index whose checksum is valid but whose contents are not sound (the CRC proves the
// bytes are the ones written, not that what was written is right) is refused when opened.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "retrievers/bm25_index.h"
#include "retrievers/bm25_index_builder.h"
#include "retrievers/bm25_index_format.h"
#include "retrievers/retriever.h"
#include "tests/support/test_support.h"

namespace kvchain::retrievers {
namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// `bytes` with its footer's CRC recomputed, as a writer of unsound contents would leave it.
std::string with_valid_crc(std::string bytes) {
  const auto footer = bytes.size() - sizeof(uint64_t);
  const uint64_t crc = crc32_update(0, reinterpret_cast<const uint8_t*>(bytes.data()), footer);
  std::memcpy(&bytes[footer], &crc, sizeof(crc));
  return bytes;
}

// `bytes` with the T stored at `at` read, changed and written back.
template <typename T>
std::string with_changed(std::string bytes, size_t at, const std::function<void(T&)>& change) {
  T value;
  std::memcpy(&value, bytes.data() + at, sizeof(value));
  change(value);
  std::memcpy(&bytes[at], &value, sizeof(value));
  return bytes;
}

TEST(HostileIndex, InconsistentContentsUnderAValidChecksumAreRefused) {
  const test::TempDir temp;
  const auto corpus = temp.file("corpus.jsonl");
  std::ofstream(corpus) << R"({"id": "d0", "contents": "the cat sat on the mat"})"
                        << "\n"
                        << R"({"id": "d1", "contents": "dogs bark at the cat"})"
                        << "\n";
  Bm25IndexOptions options;
  options.corpus = corpus;
  options.out_dir = temp.file("index");
  build_bm25_index(options);
  const auto path = options.out_dir + "/bm25.idx";
  const auto good = read_bytes(path);
  Bm25FileHeader header;
  const auto header_at = good.size() - sizeof(uint64_t) - sizeof(Bm25FileHeader);
  std::memcpy(&header, good.data() + header_at, sizeof(header));
  const auto with_header = [&](const std::function<void(Bm25FileHeader&)>& change) {
    return with_changed(good, header_at, change);
  };
  const auto with_block = [&](const std::function<void(PostingBlock&)>& change) {
    return with_changed(good, header.blocks_offset, change);
  };
  // The first term's block count, raised.
  const auto more_blocks = with_changed<uint64_t>(
      good, header.term_blocks_offset + sizeof(uint64_t), [](uint64_t& next) { ++next; });
  auto same_ids = good;  // "d1" becomes "d0"
  same_ids[header.id_bytes_offset + 3] = '0';
  auto long_passages = good;
  long_passages[header.lengths_offset] = static_cast<char>(255);
  const std::vector<std::pair<std::string, std::string>> cases = {
      // "bark", the first term, is in d1 only.
      {with_header([](auto& h) { h.passages = h.passages_with_terms = 1; }),
       "a posting names passage 1 of 1"},
      {with_block([](auto& b) { b.last_passage += 1; }), "block 0's last passage other"},
      {with_block([](auto& b) { b.max_impact *= 2; }), "block 0's largest impact other"},
      {with_block([](auto& b) { b.offset = 1; }), "block 0's bytes out of bounds"},
      {more_blocks, "term 0's block count other than its postings need"},
      {with_header([](auto& h) { h.posting_bytes -= 1; }), "a posting block ends early"},
      {same_ids, "the passage id 'd0' twice"},
      {long_passages, "passage 0's length other than its postings'"},
      {with_header([](auto& h) { h.k1 = 3e38f; }), "k1"},
      {with_header([](auto& h) { h.stemmed = 7; }), "a stemming flag of 7"},
      {with_header([](auto& h) { h.passages_with_terms = 1; }), "passages with terms other"},
      {with_header([](auto& h) { h.total_terms = 1ull << 63; }), "a term total other"},
      {with_header([](auto& h) { h.passages = 0; }), "a passage count of 0"},
      {with_header([](auto& h) { h.k1 = NAN; }), "k1"},
      {with_header([](auto& h) { h.b = 3; }), "b 3"},
      {with_header([](auto& h) { h.term_offsets_offset = 1ull << 40; }), "out of bounds"},
      {with_header([](auto& h) { h.id_offsets_offset += 8; }), "ids"},
  };
  for (const auto& [bytes, expected] : cases) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << with_valid_crc(bytes);
    const auto message = test::error_message([&] { Bm25Index{path}; });
    EXPECT_NE(message.find(path + ": inconsistent BM25 index"), std::string::npos) << message;
    EXPECT_NE(message.find(expected), std::string::npos) << expected << " / " << message;
  }
}

TEST(HostileIndex, RepeatedPassageIdsAreRefusedWithBothLines) {
  const test::TempDir temp;
  const auto corpus = temp.file("corpus.jsonl");
  std::ofstream(corpus) << R"({"id": "d0", "contents": "one"})"
                        << "\n\n"
                        << R"({"id": "d1", "contents": "two"})"
                        << "\n"
                        << R"({"id": "d0", "contents": "three"})"
                        << "\n";
  Bm25IndexOptions options;
  options.corpus = corpus;
  options.out_dir = temp.file("index");
  const auto message = test::error_message([&] { build_bm25_index(options); });
  EXPECT_NE(message.find(corpus + ":4: passage id 'd0' appears again (first at line 1)"),
            std::string::npos)
      << message;
}

// index.json records its bm25.idx's checksum: an index file copied in from another build is
// refused, not searched.
TEST(HostileIndex, AnIndexFileFromAnotherBuildIsRefused) {
  const test::TempDir temp;
  const auto build = [&](const std::string& name, const std::string& text) {
    const auto corpus = temp.file(name + ".jsonl");
    std::ofstream(corpus) << Json{{"id", "d0"}, {"contents", text}}.dump() << "\n";
    Bm25IndexOptions options;
    options.corpus = corpus;
    options.out_dir = temp.file(name);
    build_bm25_index(options);
    return options.out_dir;
  };
  const auto mine = build("mine", "the cat sat");
  const auto other = build("other", "dogs bark loudly");
  ASSERT_EQ(open_retriever(mine, "cpu")->size(), 1);
  std::filesystem::copy_file(other + "/bm25.idx", mine + "/bm25.idx",
                             std::filesystem::copy_options::overwrite_existing);
  EXPECT_NE(test::error_message([&] {
              open_retriever(mine, "cpu");
            }).find("bm25.idx is not the file this index.json describes"),
            std::string::npos);
}

// index.json's fields describe its bm25.idx: one edited by hand is refused, naming the field.
TEST(HostileIndex, AnIndexJsonThatMisdescribesItsFileIsRefused) {
  const test::TempDir temp;
  const auto corpus = temp.file("corpus.jsonl");
  std::ofstream(corpus) << Json{{"id", "d0"}, {"contents", "the cat sat"}}.dump() << "\n";
  Bm25IndexOptions options;
  options.corpus = corpus;
  options.out_dir = temp.file("index");
  build_bm25_index(options);
  ASSERT_EQ(open_retriever(options.out_dir, "cpu")->size(), 1);
  const auto manifest_path = options.out_dir + "/index.json";
  const auto manifest = read_json_file(manifest_path);
  for (const auto& [key, value] :
       {std::pair<const char*, Json>{"passages", 5}, {"stem", true}, {"k1", -3.0}}) {
    auto edited = manifest;
    edited[key] = value;
    write_json_file_atomic(manifest_path, edited);
    const auto message = test::error_message([&] { open_retriever(options.out_dir, "cpu"); });
    EXPECT_NE(message.find(manifest_path + ": field '" + key + "' is " + value.dump()),
              std::string::npos)
        << message;
  }
}

}  // namespace
}  // namespace kvchain::retrievers
