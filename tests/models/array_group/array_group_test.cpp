// One array group of the operation scheduler on its own: CMD starts an operation, a DONE read
// stalls the initiator until it ends, and CMDs it cannot run are errors.
#include <gtest/gtest.h>
#include <systemc>

#include <cstdint>
#include <string>
#include <vector>

#include "models/base/log.h"
#include "models/scheduler/array_group.h"
#include "spec/regs/array_group.h"
#include "tests/models/stimulus.h"

using namespace memgan;
using namespace memgan::array_group_reg;
using memgan::test::Stimulus;

namespace {

// Group 0 runs ops 0 (50 ns) and 2 (10 ns, but 30 MVMs the mapper addresses at 1 cycle each);
// op 1 belongs to group 1.
std::vector<sched::Op> ops() {
  return {{"g0.fwd[0]", 0, 0, 50'000, 3.0, 0, {}},
          {"g1.fwd[0]", 1, 1, 20'000, 1.0, 0, {}},
          {"g0.bwd[0]", 0, 0, 10'000, 2.0, 30, {}}};
}

// 1 ns clock, 2 cycles per register access.
struct GroupBench : sc_core::sc_module {
  RunObserver obs{1'000'000, nullptr};
  std::vector<sched::Op> table = ops();
  BlockProbe mapper{obs, "soc.mapper", 0.0};
  ArrayGroup group{"group0", table, 0, ArrayGroupParams{ns(1), 2, 0.0, 1, 0.0}, obs, "soc.generator.g0", mapper};
  Stimulus cpu;

  GroupBench(sc_core::sc_module_name name, Stimulus::Body body) : sc_module(name), cpu("cpu", std::move(body)) {
    set_log_level(LogLevel::Error);
    cpu.socket.bind(group.socket);
  }
};

}  // namespace

TEST(ArrayGroup, RegisterFileIsTheSpecTable) {
  GroupBench b("soc", [](Stimulus&) {});
  test::expect_register_file(b.group, kRegisters);
  test::run(b.cpu);
}

TEST(ArrayGroup, ResetValuesReadBack) {
  GroupBench b("soc", [&](Stimulus& s) {
    test::expect_resets_read_back(s, 0, kRegisters, kIdValue);
    EXPECT_EQ(s.read32(kStatus), 0u);
    EXPECT_EQ(s.read32(kOps), 0u);
  });
  test::run(b.cpu);
}

TEST(ArrayGroup, RejectedAccessesAreFaultsOfTheBlock) {
  GroupBench b("soc", [&](Stimulus& s) { test::expect_access_rules(s, b.obs, b.group, 0, DONE, CMD, 0x20); });
  test::run(b.cpu);
}

TEST(ArrayGroup, RegisterAccessTakesItsCycles) {
  // No RW register here: time reads of ID and OPS instead of a write.
  GroupBench b("soc", [&](Stimulus& s) {
    s.read32(kId);
    EXPECT_EQ(s.delay, ns(2));
    for (int i = 0; i < 4; ++i) s.read32(kOps);
    EXPECT_EQ(s.delay, ns(10));
    EXPECT_EQ(s.read32(kDone), 0u);
    EXPECT_EQ(s.delay, ns(12)) << "DONE while idle does not stall";
  });
  test::run(b.cpu);
}

TEST(ArrayGroup, DoneStallsUntilTheOperationEnds) {
  GroupBench b("soc", [&](Stimulus& s) {
    s.delay = ns(4);
    s.sync();
    s.set(kCmd, 0);
    EXPECT_EQ(s.delay, ns(2));
    // The op starts at the CMD's access and lasts 50 ns.
    const sc_core::sc_time end = s.local_time() + ns(50);
    EXPECT_EQ(s.read32(kStatus), kStatusBusy);
    EXPECT_EQ(s.read32(kDone), 0u) << "DONE reads idle once the stall is over";
    EXPECT_EQ(s.local_time(), end) << "the DONE read held the initiator until the op's end";
    EXPECT_EQ(s.read32(kStatus), 0u);
    EXPECT_EQ(s.read32(kOps), 1u);

    // Op 2 is bounded by its mapper share: 1 cycle of fill + 30 MVMs x 1 cycle > its 10 ns.
    s.set(kCmd, 2);
    const sc_core::sc_time end2 = s.local_time() + ns(31);
    EXPECT_EQ(s.read32(kDone), 0u);
    EXPECT_EQ(s.local_time(), end2);
    EXPECT_EQ(s.read32(kOps), 2u);

    // A DONE read after the kernel has passed the end does not stall.
    s.sync();
    s.set(kCmd, 0);
    wait(ns(60));
    s.delay = sc_core::SC_ZERO_TIME;
    EXPECT_EQ(s.read32(kDone), 0u);
    EXPECT_EQ(s.delay, ns(2));
  });
  test::run(b.cpu);
  EXPECT_EQ(b.group.ops_done(), 3);
  EXPECT_TRUE(b.obs.faults().empty()) << b.obs.last_fault();
  EXPECT_EQ(b.mapper.ops(), 30) << "the mapper addressed op 2's MVMs";
}

TEST(ArrayGroup, CmdWhileBusyOrForAnotherGroupIsAnError) {
  GroupBench b("soc", [&](Stimulus& s) {
    s.set(kCmd, 0);
    s.sync();
    size_t n = b.obs.faults().size();
    EXPECT_EQ(s.write32(kCmd, 2), tlm::TLM_GENERIC_ERROR_RESPONSE);
    test::expect_fault(b.obs, n++, "soc.group0", "CMD written while busy");
    EXPECT_EQ(s.read32(kStatus), kStatusBusy) << "the first op runs on";
    s.read32(kDone);
    s.sync();
    EXPECT_EQ(s.write32(kCmd, 1), tlm::TLM_GENERIC_ERROR_RESPONSE);
    test::expect_fault(b.obs, n++, "soc.group0", "CMD 1: not an operation of this array group");
    EXPECT_EQ(s.write32(kCmd, 99), tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(s.read32(kStatus), 0u) << "a rejected CMD starts nothing";
    EXPECT_EQ(s.read32(kOps), 1u);
  });
  test::run(b.cpu);
  EXPECT_EQ(b.group.ops_done(), 1);
}
