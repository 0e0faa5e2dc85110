// Test bench pieces shared by the per-model suites: a stimulus module that drives a model
// through its own target socket from an SC_THREAD (loosely timed: accesses carry an annotated
// delay the test controls), and checks every Peripheral-based block must pass (register file
// equals its spec table, reset values, access rules and their faults, register timing).
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <utility>

#include <gtest/gtest.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "core/observe/observer.h"
#include "models/base/peripheral.h"
#include "models/base/sc_time_ps.h"
#include "spec/regs/register_spec.h"

namespace memgan::test {

class Stimulus : public sc_core::sc_module {
 public:
  using Body = std::function<void(Stimulus&)>;

  tlm_utils::simple_initiator_socket<Stimulus> socket{"socket"};
  // Annotated delay of the next access; every access adds the target's time to it.
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;

  SC_HAS_PROCESS(Stimulus);
  Stimulus(sc_core::sc_module_name name, Body body) : sc_module(name), body_(std::move(body)) { SC_THREAD(run); }

  tlm::tlm_response_status transport(tlm::tlm_command cmd, uint64_t addr, void* data, unsigned len,
                                     unsigned char* byte_enable = nullptr) {
    tlm::tlm_generic_payload tx;
    tx.set_command(cmd);
    tx.set_address(addr);
    tx.set_data_ptr(static_cast<unsigned char*>(data));
    tx.set_data_length(len);
    tx.set_streaming_width(len);
    tx.set_byte_enable_ptr(byte_enable);
    tx.set_byte_enable_length(byte_enable ? len : 0);
    tx.set_dmi_allowed(false);
    tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    socket->b_transport(tx, delay);
    EXPECT_EQ(tx.get_address(), addr) << "the target must leave the initiator's address as it was";
    return tx.get_response_status();
  }
  tlm::tlm_response_status read(uint64_t addr, void* data, unsigned len) {
    return transport(tlm::TLM_READ_COMMAND, addr, data, len);
  }
  tlm::tlm_response_status write(uint64_t addr, const void* data, unsigned len) {
    return transport(tlm::TLM_WRITE_COMMAND, addr, const_cast<void*>(data), len);
  }
  tlm::tlm_response_status write32(uint64_t addr, uint32_t v) { return write(addr, &v, 4); }
  // A register read that must succeed.
  uint32_t read32(uint64_t addr) {
    uint32_t v = 0xDEADBEEF;
    EXPECT_EQ(read(addr, &v, 4), tlm::TLM_OK_RESPONSE) << "read at 0x" << std::hex << addr;
    return v;
  }
  // A register write that must succeed.
  void set(uint64_t addr, uint32_t v) {
    EXPECT_EQ(write32(addr, v), tlm::TLM_OK_RESPONSE) << "write 0x" << std::hex << v << " at 0x" << addr;
  }

  // Catches the kernel up with the local time (the delay becomes zero).
  void sync() {
    wait(delay);
    delay = sc_core::SC_ZERO_TIME;
  }
  sc_core::sc_time local_time() const { return sc_core::sc_time_stamp() + delay; }
  // Sets the delay so that the next access starts at local time `t`.
  void start_at(const sc_core::sc_time& t) {
    ASSERT_GE(t, sc_core::sc_time_stamp());
    delay = t - sc_core::sc_time_stamp();
  }
  bool finished() const { return finished_; }

 private:
  void run() {
    body_(*this);
    finished_ = true;
  }
  Body body_;
  bool finished_ = false;
};

// Runs the simulation until the stimulus is done and checks that it got to its end.
inline void run(const Stimulus& stimulus) {
  sc_core::sc_start();
  EXPECT_TRUE(stimulus.finished()) << "the stimulus thread did not run to its end";
}

// The block's registers, in order, are its spec table: names, offsets, access and resets.
template <size_t N>
void expect_register_file(const Peripheral& block, const spec::RegisterSpec (&table)[N]) {
  const auto& regs = block.registers();
  ASSERT_EQ(regs.size(), N) << block.name();
  for (size_t i = 0; i < N; ++i) {
    SCOPED_TRACE(table[i].name);
    EXPECT_STREQ(regs[i]->name(), table[i].name);
    EXPECT_EQ(regs[i]->spec().offset, table[i].offset);
    EXPECT_EQ(regs[i]->spec().access, table[i].access);
    EXPECT_EQ(regs[i]->spec().reset, table[i].reset);
    EXPECT_EQ(regs[i]->value(), table[i].reset) << "a register holds its reset value before any access";
  }
}

// ID reads its value, every RW register its reset value, and WO registers answer a command error.
template <size_t N>
void expect_resets_read_back(Stimulus& s, uint64_t base, const spec::RegisterSpec (&table)[N], uint32_t id_value) {
  EXPECT_EQ(s.read32(base + table[0].offset), id_value) << "the table's first row is ID";
  for (const auto& r : table) {
    SCOPED_TRACE(r.name);
    uint32_t v = 0;
    if (r.access == spec::Access::ReadWrite) {
      EXPECT_EQ(s.read32(base + r.offset), r.reset);
    } else if (r.access == spec::Access::WriteOnly) {
      EXPECT_EQ(s.read(base + r.offset, &v, 4), tlm::TLM_COMMAND_ERROR_RESPONSE);
    }
  }
}

// The faults since `before`: one new one, from `block`, naming `what`, stamped with the time
// the access was issued: the kernel time, as the stimulus synchronised before it.
inline void expect_fault(const RunObserver& obs, size_t before, const std::string& block, const std::string& what) {
  ASSERT_EQ(obs.faults().size(), before + 1) << "one access, one fault";
  const auto& f = obs.faults().back();
  EXPECT_EQ(f.block, block);
  EXPECT_NE(f.message.find(what), std::string::npos) << f.message << " does not name " << what;
  EXPECT_EQ(f.time_ps, to_ps(sc_core::sc_time_stamp()));
  EXPECT_EQ(obs.last_fault(), block + ": " + f.message);
}

// What every register file rejects, each a fault of the block: a write to RO `ro`, a read of
// WO `wo`, an unaligned or 2-byte access, an offset `unmapped` inside the register window
// holding no register, and byte enables. Leaves the stimulus synchronised.
inline void expect_access_rules(Stimulus& s, const RunObserver& obs, const Peripheral& block, uint64_t base,
                                const spec::RegisterSpec& ro, const spec::RegisterSpec& wo, uint32_t unmapped) {
  // Away from time 0, so the fault's time says something.
  s.delay += sc_core::sc_time(5, sc_core::SC_NS);
  s.sync();
  const std::string name = block.name();
  const uint32_t ro_before = s.read32(base + ro.offset);
  s.sync();

  size_t n = obs.faults().size();
  EXPECT_EQ(s.write32(base + ro.offset, ~ro_before), tlm::TLM_COMMAND_ERROR_RESPONSE);
  expect_fault(obs, n++, name, ro.name);
  EXPECT_EQ(s.read32(base + ro.offset), ro_before) << "a rejected write changes nothing";
  s.sync();

  uint32_t v = 0;
  EXPECT_EQ(s.read(base + wo.offset, &v, 4), tlm::TLM_COMMAND_ERROR_RESPONSE);
  expect_fault(obs, n++, name, wo.name);
  s.sync();

  EXPECT_EQ(s.read(base + ro.offset + 2, &v, 4), tlm::TLM_BURST_ERROR_RESPONSE) << "unaligned";
  expect_fault(obs, n++, name, "aligned 32-bit word");
  s.sync();
  uint16_t half = 0;
  EXPECT_EQ(s.read(base + ro.offset, &half, 2), tlm::TLM_BURST_ERROR_RESPONSE) << "2 bytes";
  expect_fault(obs, n++, name, "(got 2 bytes)");
  s.sync();
  EXPECT_EQ(s.write(base + wo.offset, &half, 2), tlm::TLM_BURST_ERROR_RESPONSE) << "2-byte write";
  expect_fault(obs, n++, name, "(got 2 bytes)");
  s.sync();

  EXPECT_EQ(s.read(base + unmapped, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  expect_fault(obs, n++, name, "no register");
  s.sync();
  EXPECT_EQ(s.write32(base + unmapped, 1), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  expect_fault(obs, n++, name, "no register");
  s.sync();

  unsigned char enables[4] = {0xFF, 0xFF, 0xFF, 0xFF};
  EXPECT_EQ(s.transport(tlm::TLM_READ_COMMAND, base + ro.offset, &v, 4, enables), tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
  expect_fault(obs, n++, name, "byte enables");
  s.sync();
  EXPECT_EQ(obs.faults_total(), int64_t(obs.faults().size()));
}

// Each register access, read or write, adds register_access_cycles clocks to the delay.
inline void expect_register_timing(Stimulus& s, uint64_t base, const spec::RegisterSpec& ro,
                                   const spec::RegisterSpec& rw, const sc_core::sc_time& per_access) {
  ASSERT_GT(per_access, sc_core::SC_ZERO_TIME);
  const sc_core::sc_time d0 = s.delay;
  s.read32(base + ro.offset);
  EXPECT_EQ(s.delay, d0 + per_access) << "read of " << ro.name;
  s.set(base + rw.offset, rw.reset);
  EXPECT_EQ(s.delay, d0 + 2 * per_access) << "write of " << rw.name;
  for (int i = 0; i < 5; ++i) s.read32(base + rw.offset);
  EXPECT_EQ(s.delay, d0 + 7 * per_access) << "five more reads";
  s.sync();
  EXPECT_EQ(s.delay, sc_core::SC_ZERO_TIME);
  s.read32(base + ro.offset);
  EXPECT_EQ(s.delay, per_access) << "the same after synchronising";
}

}  // namespace memgan::test
