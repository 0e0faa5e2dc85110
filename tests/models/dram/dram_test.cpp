// The DRAM target on its own: data, latency + bytes / bandwidth timing, energy per byte and
// out-of-range accesses.
#include <gtest/gtest.h>
#include <systemc>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "models/base/log.h"
#include "models/base/size_only.h"
#include "models/dram/dram.h"
#include "tests/models/stimulus.h"

using namespace memgan;
using memgan::test::Stimulus;

namespace {

constexpr uint64_t kBytes = 1024;

// 20 ns latency, 8 bytes/ns; 1.5 pJ per byte read, 2.5 per byte written.
struct DramBench : sc_core::sc_module {
  RunObserver obs{1'000'000, nullptr};
  Dram dram{"dram", kBytes, DramParams{ns(20), 8.0, 1.5, 2.5}, obs, 0.0};
  Stimulus cpu;

  DramBench(sc_core::sc_module_name name, Stimulus::Body body) : sc_module(name), cpu("cpu", std::move(body)) {
    set_log_level(LogLevel::Error);
    cpu.socket.bind(dram.socket);
  }
  power::ComponentId component(const std::string& name) const {
    const auto& names = obs.ledger().names();
    const auto it = std::find(names.begin(), names.end(), name);
    EXPECT_NE(it, names.end()) << name;
    return power::ComponentId(it - names.begin());
  }
};

}  // namespace

TEST(Dram, WritesAndReadsBackWithLatencyPlusBandwidthTime) {
  DramBench b("soc", [&](Stimulus& s) {
    std::vector<uint8_t> out(32), in(64, 0xEE);
    for (size_t i = 0; i < out.size(); ++i) out[i] = uint8_t(3 * i + 1);
    EXPECT_EQ(s.write(0x100, out.data(), 32), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(s.delay, ns(20 + 32 / 8.0)) << "write: latency + 32 bytes / 8 bytes per ns";
    EXPECT_TRUE(std::equal(out.begin(), out.end(), b.dram.data() + 0x100)) << "backdoor sees the write";
    const sc_core::sc_time before = s.delay;
    EXPECT_EQ(s.read(0xF0, in.data(), 64), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(s.delay - before, ns(20 + 64 / 8.0)) << "read: latency + 64 bytes / 8 bytes per ns";
    for (size_t i = 0; i < 16; ++i) EXPECT_EQ(in[i], 0) << "untouched memory reads 0";
    EXPECT_TRUE(std::equal(out.begin(), out.end(), in.begin() + 16));
    for (size_t i = 48; i < 64; ++i) EXPECT_EQ(in[i], 0);
    // A 1-byte access at the last address is in range.
    uint8_t last = 0x5A;
    EXPECT_EQ(s.write(kBytes - 1, &last, 1), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(b.dram.data()[kBytes - 1], 0x5A);
  });
  test::run(b.cpu);
  EXPECT_EQ(b.dram.bytes_written(), 33u);
  EXPECT_EQ(b.dram.bytes_read(), 64u);
  EXPECT_TRUE(b.obs.faults().empty()) << b.obs.last_fault();
  // Energy per byte: 64 read at 1.5 pJ, 33 written at 2.5 pJ; one ledger event per access.
  const auto id = b.component("dram");
  EXPECT_DOUBLE_EQ(b.obs.ledger().dynamic_pj(id), 64 * 1.5 + 33 * 2.5);
  EXPECT_EQ(b.obs.ledger().events(id), 3);
}

// The layer engine's tensor transfers are size-only (models/base/size_only.h): the same time and
// energy as a transfer of data, but nothing is copied either way.
TEST(Dram, SizeOnlyTransfersTakeTheirTimeAndEnergyAndCopyNothing) {
  DramBench b("soc", [&](Stimulus& s) {
    std::vector<uint8_t> pattern(32), ones(32, 0xFF), probe(32, 0xAB);
    for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = uint8_t(i + 1);
    ASSERT_EQ(s.write(0x100, pattern.data(), 32), tlm::TLM_OK_RESPONSE);
    SizeOnlyTransfer size_only;
    const auto sized = [&](tlm::tlm_command cmd, uint8_t* data) {
      tlm::tlm_generic_payload tx;
      tx.set_command(cmd);
      tx.set_address(0x100);
      tx.set_data_ptr(data);
      tx.set_data_length(32);
      tx.set_streaming_width(32);
      tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      tx.set_extension(&size_only);
      EXPECT_FALSE(carries_data(tx));
      const sc_core::sc_time before = s.delay;
      s.socket->b_transport(tx, s.delay);
      tx.clear_extension(&size_only);
      EXPECT_EQ(tx.get_response_status(), tlm::TLM_OK_RESPONSE);
      EXPECT_EQ(s.delay - before, ns(20 + 32 / 8.0)) << "latency + 32 bytes / 8 bytes per ns, as with data";
    };
    sized(tlm::TLM_WRITE_COMMAND, ones.data());
    EXPECT_TRUE(std::equal(pattern.begin(), pattern.end(), b.dram.data() + 0x100)) << "memory untouched";
    sized(tlm::TLM_READ_COMMAND, probe.data());
    EXPECT_EQ(probe, std::vector<uint8_t>(32, 0xAB)) << "the initiator's buffer untouched";
  });
  test::run(b.cpu);
  EXPECT_EQ(b.dram.bytes_written(), 64u);
  EXPECT_EQ(b.dram.bytes_read(), 32u);
  EXPECT_DOUBLE_EQ(b.obs.ledger().dynamic_pj(b.component("dram")), 64 * 2.5 + 32 * 1.5);
}

TEST(Dram, OutOfRangeAccessIsAnAddressError) {
  DramBench b("soc", [&](Stimulus& s) {
    s.delay = ns(7);  // the fault is stamped with the initiator's local time
    uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    EXPECT_EQ(s.write(kBytes - 4, buf, 8), tlm::TLM_ADDRESS_ERROR_RESPONSE) << "straddles the end";
    EXPECT_EQ(s.delay, ns(7)) << "a rejected access takes no time";
    ASSERT_EQ(b.obs.faults().size(), 1u);
    EXPECT_EQ(b.obs.faults()[0].block, "soc.dram");
    EXPECT_EQ(b.obs.faults()[0].time_ps, 7000u);
    EXPECT_NE(b.obs.faults()[0].message.find("beyond the 1024-byte memory"), std::string::npos)
        << b.obs.faults()[0].message;
    EXPECT_EQ(b.dram.data()[kBytes - 4], 0) << "nothing of it was written";
    EXPECT_EQ(s.read(kBytes, buf, 1), tlm::TLM_ADDRESS_ERROR_RESPONSE) << "one past the end";
    EXPECT_EQ(s.read(~uint64_t(0) - 2, buf, 8), tlm::TLM_ADDRESS_ERROR_RESPONSE) << "no wrap-around";
    unsigned char enables[4] = {0xFF, 0, 0xFF, 0};
    EXPECT_EQ(s.transport(tlm::TLM_READ_COMMAND, 0, buf, 4, enables), tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    EXPECT_EQ(b.obs.faults().size(), 4u);
    EXPECT_NE(b.obs.last_fault().find("byte enables"), std::string::npos) << b.obs.last_fault();
  });
  test::run(b.cpu);
  EXPECT_EQ(b.dram.bytes_read() + b.dram.bytes_written(), 0u);
  EXPECT_DOUBLE_EQ(b.obs.ledger().dynamic_pj(b.component("dram")), 0.0);
}

TEST(Dram, DebugTransportTakesNoTimeOrEnergy) {
  DramBench b("soc", [&](Stimulus& s) {
    b.dram.data()[10] = 0x42;
    uint8_t buf[16] = {};
    tlm::tlm_generic_payload tx;
    tx.set_command(tlm::TLM_READ_COMMAND);
    tx.set_address(kBytes - 8);
    tx.set_data_ptr(buf);
    tx.set_data_length(16);
    EXPECT_EQ(s.socket->transport_dbg(tx), 8u) << "clipped at the end of the memory";
    tx.set_address(10);
    tx.set_data_length(1);
    EXPECT_EQ(s.socket->transport_dbg(tx), 1u);
    EXPECT_EQ(buf[0], 0x42);
    EXPECT_EQ(s.delay, sc_core::SC_ZERO_TIME);
  });
  test::run(b.cpu);
  EXPECT_EQ(b.obs.ledger().events(b.component("dram")), 0);
}

// Two requests for the same local time (two temporally decoupled initiators) share the channel:
// the latencies overlap, the second one's data waits for the first one's.
TEST(Dram, ConcurrentRequestsShareTheBandwidth) {
  DramBench b("soc", [&](Stimulus& s) {
    std::vector<uint8_t> buf(64);
    s.delay = ns(1);
    EXPECT_EQ(s.read(0, buf.data(), 64), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(s.delay, ns(1 + 20 + 8));
    s.delay = ns(1);
    EXPECT_EQ(s.read(0x200, buf.data(), 64), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(s.delay, ns(1 + 20 + 8 + 8)) << "8 ns waiting for the first transfer";
    EXPECT_EQ(b.dram.wait_ps(), 8000u);
    EXPECT_EQ(b.dram.busy_ps(), 16000u);
  });
  test::run(b.cpu);
}

