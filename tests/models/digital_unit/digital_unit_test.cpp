// The digital unit on its own: registers, job timing (work over lanes, one job at a time), the
// energy of its operations and its operand buffer window.
#include <gtest/gtest.h>
#include <systemc>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "models/base/log.h"
#include "models/digital_unit/digital_unit.h"
#include "spec/regs/digital_unit.h"
#include "tests/models/stimulus.h"

using namespace memgan;
using namespace memgan::digital_unit_reg;
using memgan::test::Stimulus;

namespace {

// 8 lanes at 1 ns; 1 pJ per op, 4 pJ per MAC, 0.5 pJ per buffer byte; a 256-byte buffer.
DigitalUnitParams params() {
  DigitalUnitParams p;
  p.clock_period = ns(1);
  p.register_access_cycles = 1;
  p.lanes = 8;
  p.buffer_bytes = 256;
  p.buffer_bytes_per_cycle = 16;
  p.op_pj = 1, p.mac_pj = 4, p.buffer_pj_per_byte = 0.5;
  return p;
}

struct Bench : sc_core::sc_module {
  RunObserver obs{1'000'000, nullptr};
  DigitalUnit du{"digital_unit", params(), obs};
  Stimulus cpu;
  Bench(sc_core::sc_module_name name, Stimulus::Body body) : sc_module(name), cpu("cpu", std::move(body)) {
    set_log_level(LogLevel::Error);
    cpu.socket.bind(du.socket);
  }
  double pj(const std::string& name) const {
    const auto& names = obs.ledger().names();
    const auto it = std::find(names.begin(), names.end(), name);
    EXPECT_NE(it, names.end()) << name;
    return it == names.end() ? -1 : obs.ledger().dynamic_pj(power::ComponentId(it - names.begin()));
  }
};

}  // namespace

TEST(DigitalUnit, RegisterFileIsTheSpecTable) {
  Bench b("soc", [](Stimulus&) {});
  test::expect_register_file(b.du, kRegisters);
  test::run(b.cpu);
}

TEST(DigitalUnit, RegistersDescribeTheUnit) {
  Bench b("soc", [&](Stimulus& s) {
    EXPECT_EQ(s.read32(kId), kIdValue);
    EXPECT_EQ(s.read32(kLanes), 8u);
    EXPECT_EQ(s.read32(kBufferBytes), 256u);
    EXPECT_EQ(s.read32(kStatus), 0u);
    b.du.run(80, 0, to_ps(sc_core::sc_time_stamp() + s.delay));
    EXPECT_EQ(s.read32(kStatus), kStatusBusy) << "10 clocks of work started now";
    EXPECT_EQ(s.read32(kOps), 1u);
    EXPECT_EQ(s.write32(kLanes, 4), tlm::TLM_COMMAND_ERROR_RESPONSE) << "read-only";
  });
  test::run(b.cpu);
}

TEST(DigitalUnit, JobsTakeCeilOfWorkOverLanesClocksOneAtATime) {
  Bench b("soc", [&](Stimulus&) {
    // 17 ops + 3 MACs = 20 operations on 8 lanes: 3 clocks.
    const DigitalUnit::Span a = b.du.run(17, 3, 10'000);
    EXPECT_EQ(a.start_ps, 10'000u);
    EXPECT_EQ(a.end_ps, 13'000u);
    // Ready earlier than the first one's end: it waits.
    const DigitalUnit::Span c = b.du.run(8, 0, 11'000);
    EXPECT_EQ(c.start_ps, 13'000u);
    EXPECT_EQ(c.end_ps, 14'000u);
    // Nothing to do takes no time.
    const DigitalUnit::Span z = b.du.run(0, 0, 20'000);
    EXPECT_EQ(z.end_ps, 20'000u);
    EXPECT_EQ(b.du.busy_ps(), 4'000u);
    EXPECT_EQ(b.du.jobs(), 2);
  });
  test::run(b.cpu);
  EXPECT_DOUBLE_EQ(b.pj("digital_unit"), (17 + 8) * 1.0 + 3 * 4.0);
}

TEST(DigitalUnit, OperandBufferIsMemoryOnTheBus) {
  Bench b("soc", [&](Stimulus& s) {
    std::vector<uint8_t> out(48), in(48, 0);
    for (size_t i = 0; i < out.size(); ++i) out[i] = uint8_t(i * 7 + 3);
    const sc_core::sc_time d0 = s.delay;
    EXPECT_EQ(s.write(kBuffer + 16, out.data(), 48), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(s.delay - d0, ns(3)) << "48 bytes at 16 bytes per clock";
    EXPECT_EQ(s.read(kBuffer + 16, in.data(), 48), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(in, out);
    uint8_t byte = 0;
    EXPECT_EQ(s.read(kBuffer + 256, &byte, 1), tlm::TLM_ADDRESS_ERROR_RESPONSE) << "past the buffer";
    uint32_t word = 0;
    EXPECT_EQ(s.read(0x800, &word, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE) << "between registers and buffer";
  });
  test::run(b.cpu);
  EXPECT_DOUBLE_EQ(b.pj("digital_unit.buffer"), 96 * 0.5);
}
