// docs/architecture.md's register tables against spec/regs/: the same registers at the same
// offsets with the same access, in the same order, and the ID value each block answers.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "spec/regs/digital_unit.h"
#include "spec/regs/dma.h"
#include "spec/regs/layer_engine.h"
#include "spec/regs/noise.h"
#include "spec/regs/register_spec.h"
#include "spec/regs/tile.h"

namespace {

using memgan::spec::RegisterSpec;
using memgan::spec::RegisterTable;

struct DocRow {
  int line;  // 1-based, in the markdown
  uint32_t offset;
  std::string name, access, meaning;
};

struct DocTable {
  std::string heading;  // after "### "
  int line;
  std::vector<DocRow> rows;
};

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

// "0x1C" or "`0x01C`" -> true and the value; anything else ("0x1000..", a memory window) -> false.
bool parse_hex(std::string cell, uint32_t& value) {
  cell = trim(cell);
  if (cell.size() >= 2 && cell.front() == '`' && cell.back() == '`') cell = cell.substr(1, cell.size() - 2);
  if (cell.size() < 3 || cell.size() > 10 || cell.compare(0, 2, "0x") != 0) return false;
  for (size_t i = 2; i < cell.size(); ++i)
    if (!std::isxdigit(static_cast<unsigned char>(cell[i]))) return false;
  value = uint32_t(std::stoul(cell.substr(2), nullptr, 16));
  return true;
}

std::vector<std::string> split_cells(const std::string& row) {
  std::vector<std::string> cells;
  std::string s = trim(row);
  if (!s.empty() && s.front() == '|') s.erase(0, 1);
  if (!s.empty() && s.back() == '|') s.pop_back();
  std::istringstream in(s);
  for (std::string cell; std::getline(in, cell, '|');) cells.push_back(trim(cell));
  return cells;
}

// The "### " blocks of the "## Registers" section with the register rows of the first table
// under each (header and separator skipped, rows whose offset is not a plain hex number skipped).
std::vector<DocTable> parse_register_tables(const std::string& markdown) {
  std::vector<DocTable> tables;
  std::istringstream in(markdown);
  bool in_section = false, table_done = false;
  int table_line = 0;  // rows of the current table seen so far
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    const std::string t = trim(line);
    if (t.rfind("## ", 0) == 0) {
      in_section = t == "## Registers";
      continue;
    }
    if (!in_section) continue;
    if (t.rfind("### ", 0) == 0) {
      tables.push_back({trim(t.substr(4)), n, {}});
      table_done = false;
      table_line = 0;
      continue;
    }
    if (tables.empty() || table_done) continue;
    if (t.empty() || t.front() != '|') {
      if (table_line > 0) table_done = true;  // only the first table under a heading
      continue;
    }
    if (table_line++ < 2) continue;  // header, separator
    const std::vector<std::string> cells = split_cells(t);
    uint32_t offset = 0;
    if (cells.size() < 3 || !parse_hex(cells[0], offset)) continue;
    std::string meaning;
    for (size_t i = 3; i < cells.size(); ++i) meaning += (i > 3 ? " | " : "") + cells[i];
    tables.back().rows.push_back({n, offset, cells[1], cells[2], meaning});
  }
  return tables;
}

// The table whose heading starts with `prefix` as a whole word ("Tile" matches "Tile (`0x4000_0000 ...`)").
const DocTable* find_table(const std::vector<DocTable>& tables, const std::string& prefix) {
  for (const DocTable& t : tables) {
    if (t.heading.compare(0, prefix.size(), prefix) != 0) continue;
    if (t.heading.size() == prefix.size() || t.heading[prefix.size()] == ' ' || t.heading[prefix.size()] == '(')
      return &t;
  }
  return nullptr;
}

// The first hex number in a meaning cell ("`0x444D4131` \"DMA1\"" -> 0x444D4131).
bool first_hex(const std::string& text, uint32_t& value) {
  for (size_t i = text.find("0x"); i != std::string::npos; i = text.find("0x", i + 1)) {
    size_t end = i + 2;
    while (end < text.size() && std::isxdigit(static_cast<unsigned char>(text[end]))) ++end;
    if (end > i + 2 && parse_hex(text.substr(i, end - i), value)) return true;
  }
  return false;
}

// Every difference between the docs' table for `block` (a heading prefix) and the spec table.
std::vector<std::string> compare_block(const std::vector<DocTable>& tables, const RegisterTable& spec,
                                       uint32_t id_value) {
  std::vector<std::string> errors;
  const std::string block = spec.block;
  const DocTable* doc = find_table(tables, block);
  if (!doc) return {fmt::format("{}: no \"### {} ...\" table in the Registers section", block, block)};
  std::vector<RegisterSpec> regs(spec.begin(), spec.end());
  const size_t common = std::min(regs.size(), doc->rows.size());
  for (size_t i = 0; i < common; ++i) {
    const DocRow& row = doc->rows[i];
    const RegisterSpec& reg = regs[i];
    if (row.name != reg.name) {
      errors.push_back(fmt::format("{}: register #{} is {} at 0x{:02X} in the docs (line {}), {} at 0x{:02X} in the "
                                   "spec",
                                   block, i, row.name, row.offset, row.line, reg.name, reg.offset));
      continue;
    }
    if (row.offset != reg.offset)
      errors.push_back(fmt::format("{}: register {} at offset 0x{:02X} in the docs (line {}), 0x{:02X} in the spec",
                                   block, reg.name, row.offset, row.line, reg.offset));
    if (row.access != memgan::spec::access_name(reg.access))
      errors.push_back(fmt::format("{}: register {} is {} in the docs (line {}), {} in the spec", block, reg.name,
                                   row.access, row.line, memgan::spec::access_name(reg.access)));
  }
  for (size_t i = common; i < doc->rows.size(); ++i)
    errors.push_back(fmt::format("{}: the docs have register {} at 0x{:02X} (line {}), the spec does not", block,
                                 doc->rows[i].name, doc->rows[i].offset, doc->rows[i].line));
  for (size_t i = common; i < regs.size(); ++i)
    errors.push_back(fmt::format("{}: register {} at 0x{:02X} is missing from the docs table (line {})", block,
                                 regs[i].name, regs[i].offset, doc->line));
  bool id_row = false;
  for (const DocRow& row : doc->rows) {
    if (row.name != "ID") continue;
    id_row = true;
    uint32_t value = 0;
    if (!first_hex(row.meaning, value))
      errors.push_back(fmt::format("{}: ID row (line {}) names no ID value", block, row.line));
    else if (value != id_value)
      errors.push_back(fmt::format("{}: ID value 0x{:08X} in the docs (line {}), kIdValue 0x{:08X} in the spec", block,
                                   value, row.line, id_value));
  }
  if (!id_row) errors.push_back(fmt::format("{}: the docs table has no ID row", block));
  return errors;
}

struct Block {
  RegisterTable table;
  uint32_t id_value;
};

// The block names are the docs' heading prefixes.
const std::vector<Block>& blocks() {
  namespace m = memgan;
  static const std::vector<Block> all = {
      {m::spec::table("DMA", m::dma_reg::kRegisters), m::dma_reg::kIdValue},
      {m::spec::table("Noise block", m::noise_reg::kRegisters), m::noise_reg::kIdValue},
      {m::spec::table("Layer engine", m::layer_engine_reg::kRegisters), m::layer_engine_reg::kIdValue},
      {m::spec::table("Digital unit", m::digital_unit_reg::kRegisters), m::digital_unit_reg::kIdValue},
      {m::spec::table("Tile", m::tile_map::kRegisters), m::tile_map::kIdValue},
  };
  return all;
}

std::string read_docs() {
  std::ifstream in(std::string(MEMGAN_SOURCE_DIR) + "/docs/architecture.md", std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string join(const std::vector<std::string>& lines) {
  std::string s;
  for (const std::string& l : lines) s += l + "\n";
  return s;
}

TEST(RegisterDocs, TablesMatchSpec) {
  const std::string docs = read_docs();
  ASSERT_FALSE(docs.empty()) << "cannot read docs/architecture.md";
  const std::vector<DocTable> tables = parse_register_tables(docs);
  for (const Block& b : blocks()) {
    SCOPED_TRACE(b.table.block);
    const std::vector<std::string> errors = compare_block(tables, b.table, b.id_value);
    EXPECT_TRUE(errors.empty()) << join(errors);
  }
}

// The noise block's sample window row is a memory window, not a register.
TEST(RegisterDocs, ParserSkipsWindowRowsAndOtherSections) {
  const std::string md =
      "## Memory map\n\n### DMA (nope)\n\n| offset | name | access | meaning |\n|---|---|---|---|\n"
      "| 0x00 | ID | RO | `0x11111111` |\n\n"
      "## Registers\n\n### Noise block (`0x3100_0000`)\n\nText.\n\n"
      "| offset | name | access | meaning |\n|---|---|---|---|\n"
      "| `0x00` | ID | RO | `0x31474E52` \"RNG1\" |\n| 0x1000.. | window | RO | samples |\n\n"
      "| offset | name | access | meaning |\n|---|---|---|---|\n| 0x04 | LATER | RO | second table |\n";
  const std::vector<DocTable> tables = parse_register_tables(md);
  ASSERT_EQ(tables.size(), 1u);
  EXPECT_EQ(tables[0].heading, "Noise block (`0x3100_0000`)");
  ASSERT_EQ(tables[0].rows.size(), 1u);
  EXPECT_EQ(tables[0].rows[0].name, "ID");
  EXPECT_EQ(tables[0].rows[0].line, 17);
  EXPECT_EQ(find_table(tables, "DMA"), nullptr);
  EXPECT_EQ(find_table(tables, "Nois"), nullptr);  // a whole-word prefix only
  EXPECT_NE(find_table(tables, "Noise block"), nullptr);
}

// A block of five registers for the comparator's own test (an operation scheduler's array
// group once had this map).
namespace test_block {
using memgan::spec::Access;
constexpr memgan::spec::RegisterSpec kRegisters[] = {{"ID", 0x00, Access::ReadOnly},
                                                     {"STATUS", 0x04, Access::ReadOnly},
                                                     {"CMD", 0x08, Access::WriteOnly},
                                                     {"DONE", 0x0C, Access::ReadOnly},
                                                     {"OPS", 0x10, Access::ReadOnly}};
constexpr uint32_t kIdValue = 0x4741474D;
}  // namespace test_block

// The comparator must be able to fail.
TEST(RegisterDocs, ComparatorFlagsDifferences) {
  const std::string md =
      "## Registers\n\n### Array group (test)\n\n| offset | name | access | meaning |\n|---|---|---|---|\n"
      "| 0x00 | ID | RO | `0x4741474E` |\n"  // wrong ID value
      "| 0x04 | STATUS | RW | bit0 BUSY |\n"    // wrong access
      "| 0x0C | CMD | WO | start |\n"          // wrong offset
      "| 0x10 | OPS | RO | swapped with DONE |\n";
  const RegisterTable spec = memgan::spec::table("Array group", test_block::kRegisters);
  const std::vector<std::string> errors = compare_block(parse_register_tables(md), spec, test_block::kIdValue);
  const std::vector<std::string> expected = {
      "Array group: register STATUS is RW in the docs (line 8), RO in the spec",
      "Array group: register CMD at offset 0x0C in the docs (line 9), 0x08 in the spec",
      "Array group: register #3 is OPS at 0x10 in the docs (line 10), DONE at 0x0C in the spec",
      "Array group: register OPS at 0x10 is missing from the docs table (line 3)",
      "Array group: ID value 0x4741474E in the docs (line 7), kIdValue 0x4741474D in the spec",
  };
  EXPECT_EQ(errors, expected) << join(errors);
  EXPECT_EQ(compare_block(parse_register_tables(md), memgan::spec::table("DMA", memgan::dma_reg::kRegisters),
                          memgan::dma_reg::kIdValue),
            std::vector<std::string>{"DMA: no \"### DMA ...\" table in the Registers section"});
}

}  // namespace
