// The DMA engine on its own: programmed through its target socket, copying between two DRAM
// models behind an interconnect.
#include <gtest/gtest.h>
#include <systemc>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "models/base/log.h"
#include "models/bus/interconnect.h"
#include "models/dma/dma.h"
#include "models/dram/dram.h"
#include "spec/regs/dma.h"
#include "tests/models/stimulus.h"

using namespace memgan;
using namespace memgan::dma_reg;
using memgan::test::Stimulus;

namespace {

constexpr uint64_t kSrcBase = 0x1000'0000, kDstBase = 0x2000'0000, kDramBytes = 4096;
constexpr uint64_t kUnmapped = 0x3000'0000;
constexpr int kBurst = 16;

// cpu -> dma registers; dma master -> bus -> {src, dst} DRAMs. 1 ns clocks everywhere.
struct DmaBench : sc_core::sc_module {
  RunObserver obs{1'000'000, nullptr};
  // 8-byte bus, 2 cycles of latency; DRAM 10 ns + 4 bytes/ns.
  Interconnect bus{"bus", InterconnectParams{ns(1), 8, 2, 0.0}, obs, 0.0};
  Dram src{"src", kDramBytes, DramParams{ns(10), 4.0, 0.0, 0.0}, obs, 0.0};
  Dram dst{"dst", kDramBytes, DramParams{ns(10), 4.0, 0.0, 0.0}, obs, 0.0};
  Dma dma{"dma", DmaParams{ns(1), kBurst, 1, 2.0, 0.0}, obs, 0.0};
  Stimulus cpu;

  DmaBench(sc_core::sc_module_name name, Stimulus::Body body) : sc_module(name), cpu("cpu", std::move(body)) {
    set_log_level(LogLevel::Error);  // faults are checked, not printed
    dma.master.bind(bus.initiators);
    bus.targets.bind(src.socket);
    bus.map("src", kSrcBase, kDramBytes, 0);
    bus.targets.bind(dst.socket);
    bus.map("dst", kDstBase, kDramBytes, 1);
    cpu.socket.bind(dma.socket);
    std::iota(src.data(), src.data() + kDramBytes, uint8_t{1});
  }
};

// Time of one burst of n bytes, a read and a write, each: 2 bus latency clocks, then the DRAM's 10 ns latency and n / 4 ns of
// data, which outlast (and overlap) the ceil(n / 8) bus beats.
sc_core::sc_time burst_time(int n) { return 2 * ns(2 + 10 + n / 4.0); }

void program(Stimulus& s, uint32_t src, uint32_t dst, uint32_t len, uint32_t rows, uint32_t src_stride,
             uint32_t dst_stride) {
  s.set(kSrc, src);
  s.set(kDst, dst);
  s.set(kLen, len);
  s.set(kRows, rows);
  s.set(kSrcStride, src_stride);
  s.set(kDstStride, dst_stride);
}

}  // namespace

TEST(Dma, RegisterFileIsTheSpecTable) {
  DmaBench b("soc", [](Stimulus&) {});
  test::expect_register_file(b.dma, kRegisters);
  test::run(b.cpu);
}

TEST(Dma, ResetValuesReadBack) {
  DmaBench b("soc", [&](Stimulus& s) {
    test::expect_resets_read_back(s, 0, kRegisters, kIdValue);
    EXPECT_EQ(s.read32(kRows), 1u) << "ROWS resets to one row";
    EXPECT_EQ(s.read32(kStatus), 0u);
    EXPECT_EQ(s.read32(kError), uint32_t(kNone));
    EXPECT_EQ(s.read32(kBytesMoved), 0u);
  });
  test::run(b.cpu);
}

TEST(Dma, RejectedAccessesAreFaultsOfTheBlock) {
  DmaBench b("soc", [&](Stimulus& s) {
    test::expect_access_rules(s, b.obs, b.dma, 0, ID, CTRL, 0x100);
    // Beyond the register window there is nothing either.
    const size_t n = b.obs.faults().size();
    uint32_t v = 0;
    EXPECT_EQ(s.read(kSize, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    test::expect_fault(b.obs, n, "soc.dma", "offset 0x1000");
  });
  test::run(b.cpu);
}

TEST(Dma, FaultIsLoggedAsAWarning) {
  DmaBench b("soc", [&](Stimulus& s) {
    s.delay = ns(2);
    s.sync();
    set_log_level(LogLevel::Warning);
    testing::internal::CaptureStderr();
    EXPECT_EQ(s.write32(kBytesMoved, 1), tlm::TLM_COMMAND_ERROR_RESPONSE);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(err, "[W 0.002000 us] soc.dma: register BYTES_MOVED is read-only\n");
  });
  test::run(b.cpu);
}

TEST(Dma, RegisterAccessTakesItsCycles) {
  DmaBench b("soc", [&](Stimulus& s) { test::expect_register_timing(s, 0, ID, SRC, ns(1)); });
  test::run(b.cpu);
}

TEST(Dma, RegisterAccessCyclesScaleTheDelay) {
  // The same with 3 cycles of a 2 ns clock: 6 ns per access.
  RunObserver obs(1'000'000, nullptr);
  Dma dma("dma", DmaParams{ns(2), kBurst, 3, 0.0, 0.0}, obs, 0.0);
  Dram mem("mem", 64, DramParams{ns(1), 1.0, 0.0, 0.0}, obs, 0.0);
  dma.master.bind(mem.socket);
  Stimulus cpu("cpu", [&](Stimulus& s) { test::expect_register_timing(s, 0, STATUS, LEN, ns(6)); });
  cpu.socket.bind(dma.socket);
  test::run(cpu);
}

TEST(Dma, CopiesATwoDimensionalBlockAndIsBusyUntilItsEnd) {
  constexpr uint32_t kRowLen = 24, kRowCount = 3, kSrcPitch = 40, kDstPitch = 32, kSrcOff = 0x10, kDstOff = 0x8;
  DmaBench b("soc", [&](Stimulus& s) {
    program(s, kSrcBase + kSrcOff, kDstBase + kDstOff, kRowLen, kRowCount, kSrcPitch, kDstPitch);
    s.sync();
    s.set(kCtrl, kCtrlStart);
    EXPECT_EQ(s.delay, ns(1)) << "the START write returns after its register access; the copy runs on";
    // Per row: one 16-byte and one 8-byte burst.
    const sc_core::sc_time end = s.local_time() + double(kRowCount) * (burst_time(16) + burst_time(8));
    EXPECT_EQ(end - sc_core::sc_time_stamp(), ns(1 + 180));

    // The data moved at the START: row r of LEN bytes at each stride, nothing in between.
    for (uint32_t r = 0; r < kRowCount; ++r) {
      for (uint32_t i = 0; i < kRowLen; ++i)
        EXPECT_EQ(b.dst.data()[kDstOff + r * kDstPitch + i], b.src.data()[kSrcOff + r * kSrcPitch + i])
            << "row " << r << " byte " << i;
      for (uint32_t i = kRowLen; i < kDstPitch && r + 1 < kRowCount; ++i)
        EXPECT_EQ(b.dst.data()[kDstOff + r * kDstPitch + i], 0) << "gap after row " << r;
    }
    EXPECT_EQ(b.dst.data()[kDstOff - 1], 0);
    EXPECT_EQ(b.dst.data()[kDstOff + (kRowCount - 1) * kDstPitch + kRowLen], 0);
    EXPECT_EQ(b.src.bytes_read(), kRowLen * kRowCount);
    EXPECT_EQ(b.dst.bytes_written(), kRowLen * kRowCount);
    EXPECT_EQ(b.bus.transactions(), int64_t{2 * 2 * kRowCount}) << "a read and a write per burst";

    // STATUS.BUSY until the copy's end time: a read whose access lands 1 ps before it is busy,
    // one landing on it is not (a register access takes 1 ns).
    EXPECT_EQ(s.read32(kStatus), kStatusBusy);
    s.start_at(end - ns(1) - ps(1));
    EXPECT_EQ(s.read32(kStatus), kStatusBusy);
    s.start_at(end - ns(1));
    EXPECT_EQ(s.read32(kStatus), 0u);
    // And after waiting past it.
    s.delay = sc_core::SC_ZERO_TIME;
    wait(end + ns(5) - sc_core::sc_time_stamp());
    EXPECT_EQ(s.read32(kStatus), 0u);
    EXPECT_EQ(s.read32(kError), uint32_t(kNone));
    EXPECT_EQ(s.read32(kBytesMoved), kRowLen * kRowCount);
    EXPECT_EQ(b.dma.bytes_moved(), kRowLen * kRowCount);
    EXPECT_EQ(b.dma.transfers(), 1);

    // A second copy adds to BYTES_MOVED.
    program(s, kSrcBase + 0x200, kDstBase + 0x200, 5, 1, 0, 0);
    s.set(kCtrl, kCtrlStart);
    EXPECT_EQ(b.dst.data()[0x204], b.src.data()[0x204]);
    EXPECT_EQ(b.dst.data()[0x205], 0);
    EXPECT_EQ(s.read32(kBytesMoved), kRowLen * kRowCount + 5);
  });
  test::run(b.cpu);
  EXPECT_TRUE(b.obs.faults().empty()) << b.obs.last_fault();
  // DMA energy: 2 pJ per byte moved, in the ledger under the name without "soc.".
  const auto& names = b.obs.ledger().names();
  const auto it = std::find(names.begin(), names.end(), "dma");
  ASSERT_NE(it, names.end());
  EXPECT_DOUBLE_EQ(b.obs.ledger().dynamic_pj(power::ComponentId(it - names.begin())), 2.0 * (kRowLen * kRowCount + 5));
}

TEST(Dma, CopyFromAnUnmappedAddressFailsTheStart) {
  DmaBench b("soc", [&](Stimulus& s) {
    program(s, kUnmapped, kDstBase, 32, 2, 32, 32);
    s.sync();
    const size_t n = b.obs.faults().size();
    EXPECT_EQ(s.write32(kCtrl, kCtrlStart), tlm::TLM_GENERIC_ERROR_RESPONSE);
    // The bus's decode error, then the DMA's own fault naming the access and the register.
    ASSERT_EQ(b.obs.faults().size(), n + 2);
    EXPECT_EQ(b.obs.faults()[n].block, "soc.bus");
    const auto& f = b.obs.faults().back();
    EXPECT_EQ(f.block, "soc.dma");
    EXPECT_NE(f.message.find("CTRL"), std::string::npos) << f.message;
    EXPECT_NE(f.message.find("read of 16 bytes at 0x30000000 failed"), std::string::npos) << f.message;
    EXPECT_EQ(b.bus.decode_errors(), 1);
    EXPECT_EQ(s.read32(kStatus) & kStatusError, kStatusError);
    EXPECT_EQ(s.read32(kError), uint32_t(kReadFailed));
    EXPECT_EQ(s.read32(kBytesMoved), 0u);
    EXPECT_EQ(b.dst.bytes_written(), 0u);

    // A write that fails is kWriteFailed; a good copy clears ERROR again.
    s.sync();
    program(s, kSrcBase, kUnmapped, 8, 1, 0, 0);
    EXPECT_EQ(s.write32(kCtrl, kCtrlStart), tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(s.read32(kError), uint32_t(kWriteFailed));
    EXPECT_EQ(b.src.bytes_read(), 8u) << "the read went through";
    wait(ns(100));
    program(s, kSrcBase, kDstBase, 8, 1, 0, 0);
    s.set(kCtrl, kCtrlStart);
    EXPECT_EQ(s.read32(kError), uint32_t(kNone));
    EXPECT_EQ(s.read32(kStatus) & kStatusError, 0u);
  });
  test::run(b.cpu);
}

TEST(Dma, StartWhileBusyIsAnError) {
  DmaBench b("soc", [&](Stimulus& s) {
    program(s, kSrcBase, kDstBase, 64, 2, 64, 64);
    s.set(kCtrl, kCtrlStart);
    s.sync();
    const size_t n = b.obs.faults().size();
    EXPECT_EQ(s.write32(kCtrl, kCtrlStart), tlm::TLM_GENERIC_ERROR_RESPONSE);
    test::expect_fault(b.obs, n, "soc.dma", "START while a transfer is still running");
    EXPECT_EQ(s.read32(kError), uint32_t(kStartWhileBusy));
    EXPECT_EQ(s.read32(kStatus), kStatusBusy | kStatusError) << "the first copy still runs";
    EXPECT_EQ(s.read32(kBytesMoved), 128u) << "only the first copy moved data";
    EXPECT_EQ(b.dma.transfers(), 1);
    // LEN 0 is a bad length, once idle.
    wait(sc_core::sc_time(1, sc_core::SC_US));
    s.delay = sc_core::SC_ZERO_TIME;
    s.set(kLen, 0);
    EXPECT_EQ(s.write32(kCtrl, kCtrlStart), tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(s.read32(kError), uint32_t(kBadLength));
    EXPECT_EQ(s.read32(kStatus), kStatusError);
    // CTRL without START does nothing.
    s.set(kCtrl, 0);
    EXPECT_EQ(b.dma.transfers(), 1);
  });
  test::run(b.cpu);
}

// A decoupled initiator's fault is stamped at its local time, not the kernel's, so the fault
// list stays in time order next to the bus's and DRAM's faults.
TEST(Dma, FaultIsStampedAtTheAccessLocalTime) {
  DmaBench b("soc", [&](Stimulus& s) {
    s.delay = ns(10);
    const uint64_t issued_ps = to_ps(s.local_time());
    EXPECT_EQ(s.write32(kId, 1), tlm::TLM_COMMAND_ERROR_RESPONSE);
    ASSERT_EQ(b.obs.faults().size(), 1u);
    EXPECT_EQ(b.obs.faults().back().time_ps, issued_ps);
    EXPECT_GT(b.obs.faults().back().time_ps, to_ps(sc_core::sc_time_stamp()));
  });
  test::run(b.cpu);
}
