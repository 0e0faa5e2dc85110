// The interconnect on its own: address decode to the right target port with the address made
// region-relative (and restored), transfer timing, decode errors and the transaction log.
#include <gtest/gtest.h>
#include <systemc>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include <tlm_utils/simple_target_socket.h>

#include "models/base/log.h"
#include "models/bus/interconnect.h"
#include "tests/models/stimulus.h"

using namespace memgan;
using memgan::test::Stimulus;

namespace {

// Records what reaches it and answers OK after `extra`; reads return `word`.
struct Recorder : sc_core::sc_module {
  tlm_utils::simple_target_socket<Recorder> socket{"socket"};
  sc_core::sc_time extra;
  uint32_t word;
  int calls = 0;
  uint64_t last_address = 0;
  unsigned last_length = 0;
  sc_core::sc_time delay_in;

  Recorder(sc_core::sc_module_name name, sc_core::sc_time extra_time, uint32_t read_word)
      : sc_module(name), extra(extra_time), word(read_word) {
    socket.register_b_transport(this, &Recorder::b_transport);
    socket.register_transport_dbg(this, &Recorder::transport_dbg);
  }
  void b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
    ++calls;
    last_address = tx.get_address();
    last_length = tx.get_data_length();
    delay_in = delay;
    if (tx.is_read()) std::memcpy(tx.get_data_ptr(), &word, std::min(4u, tx.get_data_length()));
    delay += extra;
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
  }
  unsigned int transport_dbg(tlm::tlm_generic_payload& tx) {
    last_address = tx.get_address();
    return tx.get_data_length();
  }
};

// 2 ns clock, 4-byte bus, 3 cycles of latency. "a" [0x1000, +0x1000) on port 0,
// "b" [0x10000, +0x100) on port 1 (bound in that order).
struct BusBench : sc_core::sc_module {
  RunObserver obs{1'000'000, nullptr};
  Interconnect bus;
  Recorder a{"a", ns(5), 0xAAAA0001}, b{"b", ns(0), 0xBBBB0002};
  Stimulus cpu;

  BusBench(sc_core::sc_module_name name, bool log, Stimulus::Body body)
      : sc_module(name), bus("bus", InterconnectParams{ns(2), 4, 3, 0.5, log}, obs, 0.0), cpu("cpu", std::move(body)) {
    set_log_level(LogLevel::Error);
    cpu.socket.bind(bus.initiators);
    bus.targets.bind(a.socket);
    bus.targets.bind(b.socket);
    bus.map("a", 0x1000, 0x1000, 0);
    bus.map("b", 0x10000, 0x100, 1);
  }
};

}  // namespace

TEST(Interconnect, DecodesToThePortWithARegionRelativeAddress) {
  BusBench bb("soc", false, [&](Stimulus& s) {
    uint32_t v = 0;
    // Stimulus::transport checks that the initiator sees its own address again.
    EXPECT_EQ(s.read(0x10010, &v, 4), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(v, 0xBBBB0002u);
    EXPECT_EQ(bb.b.calls, 1);
    EXPECT_EQ(bb.a.calls, 0);
    EXPECT_EQ(bb.b.last_address, 0x10u);
    EXPECT_EQ(s.read(0x1FFC, &v, 4), tlm::TLM_OK_RESPONSE) << "the last word of a";
    EXPECT_EQ(v, 0xAAAA0001u);
    EXPECT_EQ(bb.a.last_address, 0xFFCu);
    EXPECT_EQ(s.write32(0x1000, 7), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(bb.a.last_address, 0u);
    EXPECT_EQ(bb.a.calls, 2);
    // The debug path decodes the same way.
    uint8_t buf[8];
    tlm::tlm_generic_payload tx;
    tx.set_command(tlm::TLM_READ_COMMAND);
    tx.set_address(0x100F8);
    tx.set_data_ptr(buf);
    tx.set_data_length(8);
    EXPECT_EQ(s.socket->transport_dbg(tx), 8u);
    EXPECT_EQ(bb.b.last_address, 0xF8u);
    EXPECT_EQ(tx.get_address(), 0x100F8u);
  });
  test::run(bb.cpu);
  EXPECT_EQ(bb.bus.transactions(), 3);
  EXPECT_EQ(bb.bus.decode_errors(), 0);
}

TEST(Interconnect, TransferTakesLatencyPlusBeatsCyclesOverlappingTheTarget) {
  BusBench bb("soc", false, [&](Stimulus& s) {
    uint8_t buf[16] = {};
    // 10 bytes on a 4-byte bus: 3 latency + 3 beats = 6 cycles of 2 ns. The target sees the
    // transfer from its first beat (cut-through), after the 3 latency cycles.
    s.delay = ns(1);
    EXPECT_EQ(s.read(0x10000, buf, 10), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(bb.b.delay_in, ns(1 + 6)) << "the target is reached after arbitration and routing";
    EXPECT_EQ(s.delay, ns(1 + 12)) << "target b adds nothing: the beats end the transfer";
    EXPECT_EQ(bb.b.last_length, 10u);
    // 16 bytes: 4 beats (8 ns) after the latency; target a's own 5 ns overlap the beats.
    const sc_core::sc_time d0 = s.delay;
    EXPECT_EQ(s.write(0x1100, buf, 16), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(s.delay - d0, ns(2 * (3 + 4)));
    // One byte: one beat (2 ns), shorter than the target's 5 ns, which ends the transfer.
    const sc_core::sc_time d1 = s.delay;
    EXPECT_EQ(s.read(0x1100, buf, 1), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(s.delay - d1, ns(2 * 3 + 5));
  });
  test::run(bb.cpu);
  // 0.5 pJ per byte carried.
  const auto& names = bb.obs.ledger().names();
  const auto it = std::find(names.begin(), names.end(), "bus");
  ASSERT_NE(it, names.end());
  EXPECT_DOUBLE_EQ(bb.obs.ledger().dynamic_pj(power::ComponentId(it - names.begin())), 0.5 * (10 + 16 + 1));
}

TEST(Interconnect, ConcurrentTransfersShareTheDataBeats) {
  BusBench bb("soc", false, [&](Stimulus& s) {
    uint8_t buf[16] = {};
    // Two 16-byte reads issued for the same local time (two temporally decoupled initiators):
    // the second one's 4 beats wait for the first one's.
    s.delay = ns(1);
    EXPECT_EQ(s.read(0x10000, buf, 16), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(s.delay, ns(1 + 2 * (3 + 4)));
    s.delay = ns(1);
    EXPECT_EQ(s.read(0x10000, buf, 16), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(s.delay, ns(1 + 2 * (3 + 4 + 4))) << "the beats of the first transfer hold the bus";
    // A transfer ready before a later reservation fills the gap in front of it.
    s.delay = ns(100);
    EXPECT_EQ(s.read(0x10000, buf, 16), tlm::TLM_OK_RESPONSE);
    s.delay = ns(40);
    EXPECT_EQ(s.read(0x10000, buf, 4), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(s.delay, ns(40 + 2 * (3 + 1))) << "the bus is free between 23 ns and 106 ns";
  });
  test::run(bb.cpu);
}

TEST(Interconnect, UnmappedAddressIsADecodeError) {
  BusBench bb("soc", false, [&](Stimulus& s) {
    uint32_t v = 0;
    s.delay = ns(3);
    EXPECT_EQ(s.read(0x5000, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE) << "between regions";
    EXPECT_EQ(s.delay, ns(3)) << "a decode error takes no time";
    ASSERT_EQ(bb.obs.faults().size(), 1u);
    EXPECT_EQ(bb.obs.faults()[0].block, "soc.bus");
    EXPECT_EQ(bb.obs.faults()[0].time_ps, 3000u);
    EXPECT_NE(bb.obs.faults()[0].message.find("0x00005000"), std::string::npos) << bb.obs.faults()[0].message;
    EXPECT_EQ(s.read(0x1FFE, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE) << "straddles the end of a";
    EXPECT_EQ(s.write32(0x10100, 1), tlm::TLM_ADDRESS_ERROR_RESPONSE) << "one past b";
    EXPECT_EQ(s.read(0x0, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE) << "below every region";
    EXPECT_EQ(bb.bus.decode_errors(), 4);
    EXPECT_EQ(bb.obs.faults().size(), 4u);
    EXPECT_EQ(bb.a.calls + bb.b.calls, 0) << "no target saw them";
    EXPECT_THROW(bb.bus.map("c", 0x1800, 0x10, 0), std::invalid_argument) << "overlaps a";
  });
  test::run(bb.cpu);
  EXPECT_EQ(bb.bus.transactions(), 0);
}

TEST(Interconnect, LogsOneLinePerTransaction) {
  BusBench bb("soc", true, [&](Stimulus& s) {
    uint32_t v = 0;
    testing::internal::CaptureStderr();
    EXPECT_EQ(s.read(0x10010, &v, 4), tlm::TLM_OK_RESPONSE);
    const std::string line = testing::internal::GetCapturedStderr();
    EXPECT_EQ(line.rfind("[T ", 0), 0u) << line;
    EXPECT_NE(line.find("RD 0x00010010"), std::string::npos) << "the initiator's address: " << line;
    EXPECT_NE(line.find("0xbbbb0002"), std::string::npos) << "the first word: " << line;
    EXPECT_NE(line.find(" b "), std::string::npos) << "the target region: " << line;
    EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << line;

    testing::internal::CaptureStderr();
    EXPECT_EQ(s.write32(0x1004, 9), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(s.read(0x7000, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    const std::string two = testing::internal::GetCapturedStderr();
    EXPECT_EQ(std::count(two.begin(), two.end(), '\n'), 2) << two;
    EXPECT_NE(two.find("WR 0x00001004"), std::string::npos) << two;
    EXPECT_NE(two.find("RD 0x00007000"), std::string::npos) << "a decode error is logged too: " << two;
    EXPECT_NE(two.find("TLM_ADDRESS_ERROR_RESPONSE"), std::string::npos) << two;
  });
  test::run(bb.cpu);
}

TEST(Interconnect, LogsNothingWhenOff) {
  BusBench bb("soc", false, [&](Stimulus& s) {
    uint32_t v = 0;
    testing::internal::CaptureStderr();
    EXPECT_EQ(s.read(0x10010, &v, 4), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  });
  test::run(bb.cpu);
}
