// The shape every block's register table in spec/regs/ has: one row per 32-bit register, the
// single source the models declare their registers from (models/base/peripheral.h), the
// firmware programs against, and docs/architecture.md is checked against (tests/spec).
#pragma once

#include <cstdint>

namespace memgan::spec {

enum class Access : uint8_t {
  ReadOnly,   // RO: value from the block; writes are a command error
  ReadWrite,  // RW: stores what is written (the block may veto a value)
  WriteOnly,  // WO: a command; reads are a command error
};

constexpr const char* access_name(Access a) {
  return a == Access::ReadOnly ? "RO" : a == Access::ReadWrite ? "RW" : "WO";
}

struct RegisterSpec {
  const char* name;
  uint32_t offset;
  Access access;
  uint32_t reset = 0;  // RW registers: the value after reset
};

// A block's register table, for code that walks it (tests, the bus transaction log).
struct RegisterTable {
  const char* block;  // the heading of its table in docs/architecture.md
  const RegisterSpec* begin_;
  const RegisterSpec* end_;
  const RegisterSpec* begin() const { return begin_; }
  const RegisterSpec* end() const { return end_; }
};

template <size_t N>
constexpr RegisterTable table(const char* block, const RegisterSpec (&regs)[N]) {
  return {block, regs, regs + N};
}

}  // namespace memgan::spec
