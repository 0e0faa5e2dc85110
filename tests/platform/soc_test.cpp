// The assembled SoC driven through its bus by a test initiator (one elaboration per
// process: ctest runs each TEST of this file in its own process).
#include <cstring>
#include <functional>

#include <gtest/gtest.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "core/config/loader.h"
#include "spec/regs/dma.h"
#include "spec/memory_map.h"
#include "firmware/program_builder.h"
#include "platform/soc.h"
#include "spec/regs/tile.h"

using namespace memgan;

namespace {

const std::string kDefault = std::string(MEMGAN_SOURCE_DIR) + "/configs/mvm.yaml";

// Runs `body` as a thread that talks to the bus like a second bus master.
struct Host : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Host> socket{"socket"};
  std::function<void(Host&)> body;
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;

  explicit Host(sc_core::sc_module_name n) : sc_module(n) {
    SC_HAS_PROCESS(Host);
    SC_THREAD(run);
  }
  void run() {
    body(*this);
  }
  tlm::tlm_response_status access(tlm::tlm_command cmd, uint64_t addr, void* data, unsigned len) {
    tlm::tlm_generic_payload tx;
    tx.set_command(cmd);
    tx.set_address(addr);
    tx.set_data_ptr(static_cast<unsigned char*>(data));
    tx.set_data_length(len);
    tx.set_streaming_width(len);
    tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    socket->b_transport(tx, delay);
    EXPECT_EQ(tx.get_address(), addr) << "the bus must restore the initiator's address";
    return tx.get_response_status();
  }
  uint32_t read32(uint64_t addr) {
    uint32_t v = 0;
    EXPECT_EQ(access(tlm::TLM_READ_COMMAND, addr, &v, 4), tlm::TLM_OK_RESPONSE) << std::hex << addr;
    return v;
  }
  void write32(uint64_t addr, uint32_t v) {
    EXPECT_EQ(access(tlm::TLM_WRITE_COMMAND, addr, &v, 4), tlm::TLM_OK_RESPONSE) << std::hex << addr;
  }
  void wait_idle(uint64_t status_addr) {
    for (int i = 0; i < 1000000 && (read32(status_addr) & 1); ++i) delay += sc_core::sc_time(10, sc_core::SC_NS);
  }
};

// A SoC whose controller idles (WAIT, END) while the host drives the bus.
struct Bench {
  config::LoadedConfig cfg;
  RunObserver observer{1000000, nullptr};
  std::unique_ptr<Soc> soc;
  std::unique_ptr<Host> host;

  explicit Bench(const std::vector<std::string>& overrides, std::vector<uint8_t> program = {}) {
    cfg = config::load_config(kDefault, overrides);
    soc = std::make_unique<Soc>("soc", cfg.config, observer);
    host = std::make_unique<Host>("host");
    host->socket.bind(soc->bus().initiators);
    if (program.empty()) program = firmware::ProgramBuilder().wait(100000).end().image();
    std::memcpy(soc->dram().data(), program.data(), program.size());
  }
};

const uint64_t kTile = memory_map::tile_base(0);

}  // namespace

TEST(Soc, DecodeErrorsAnswerAddressError) {
  Bench b({});
  b.host->body = [&](Host& h) {
    uint32_t v = 0;
    EXPECT_EQ(h.access(tlm::TLM_READ_COMMAND, 0x20000000, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    // Straddling the end of DRAM is a decode miss, not a host out-of-bounds access.
    const uint64_t dram_end = b.soc->dram().size();
    uint8_t buf[8];
    EXPECT_EQ(h.access(tlm::TLM_READ_COMMAND, dram_end - 4, buf, 8), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    // Inside a tile's span but in a hole of its own map.
    EXPECT_EQ(h.access(tlm::TLM_READ_COMMAND, kTile + 0x5000, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(h.access(tlm::TLM_READ_COMMAND, memory_map::kDmaBase + 0x200, &v, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    EXPECT_EQ(b.soc->bus().decode_errors(), 2);
    EXPECT_NE(b.observer.last_fault().find("no register at +0x200"), std::string::npos) << b.observer.last_fault();
  };
  sc_core::sc_start();
}

TEST(Soc, RegistersFollowTheMemoryMap) {
  Bench b({});
  b.host->body = [&](Host& h) {
    EXPECT_EQ(h.read32(memory_map::kDmaBase + dma_reg::kId), dma_reg::kIdValue);
    EXPECT_EQ(h.read32(kTile + tile_map::kId), tile_map::kIdValue);
    EXPECT_EQ(h.read32(kTile + tile_map::kRowsMax), 128u);
    EXPECT_EQ(h.read32(kTile + tile_map::kColsMax), 16u);
    h.write32(kTile + tile_map::kRows, 77);
    EXPECT_EQ(h.read32(kTile + tile_map::kRows), 77u);
    uint32_t v = 1;
    EXPECT_EQ(h.access(tlm::TLM_WRITE_COMMAND, kTile + tile_map::kId, &v, 4), tlm::TLM_COMMAND_ERROR_RESPONSE);
    uint16_t half = 0;
    EXPECT_EQ(h.access(tlm::TLM_READ_COMMAND, kTile + tile_map::kId, &half, 2), tlm::TLM_BURST_ERROR_RESPONSE);
  };
  sc_core::sc_start();
}

TEST(Soc, BadStartIsRejectedWithAReason) {
  Bench b({});
  b.host->body = [&](Host& h) {
    h.write32(kTile + tile_map::kRows, 129);
    h.write32(kTile + tile_map::kCols, 4);
    uint32_t start = tile_map::kCtrlStart;
    EXPECT_EQ(h.access(tlm::TLM_WRITE_COMMAND, kTile + tile_map::kCtrl, &start, 4), tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(h.read32(kTile + tile_map::kError), uint32_t(tile_map::kBadShape));
    EXPECT_EQ(h.read32(kTile + tile_map::kStatus) & tile_map::kStatusError, tile_map::kStatusError);
    EXPECT_NE(b.observer.last_fault().find("ROWS 129 at ROW0 0"), std::string::npos) << b.observer.last_fault();
  };
  sc_core::sc_start();
}

TEST(Soc, DmaCopiesTwoDimensionalBlocksAndTakesTime) {
  Bench b({});
  b.host->body = [&](Host& h) {
    uint8_t* dram = b.soc->dram().data();
    for (int i = 0; i < 4096; ++i) dram[0x10000 + i] = static_cast<uint8_t>(i * 7);
    const uint64_t d = memory_map::kDmaBase;
    h.write32(d + dma_reg::kSrc, 0x10000);
    h.write32(d + dma_reg::kDst, 0x20000);
    h.write32(d + dma_reg::kLen, 100);
    h.write32(d + dma_reg::kRows, 3);
    h.write32(d + dma_reg::kSrcStride, 1000);
    h.write32(d + dma_reg::kDstStride, 128);
    const sc_core::sc_time before = sc_core::sc_time_stamp() + h.delay;
    h.write32(d + dma_reg::kCtrl, dma_reg::kCtrlStart);
    EXPECT_EQ(h.read32(d + dma_reg::kStatus) & dma_reg::kStatusBusy, dma_reg::kStatusBusy);
    h.wait_idle(d + dma_reg::kStatus);
    const sc_core::sc_time took = sc_core::sc_time_stamp() + h.delay - before;
    for (int r = 0; r < 3; ++r) {
      for (int i = 0; i < 100; ++i) ASSERT_EQ(dram[0x20000 + r * 128 + i], dram[0x10000 + r * 1000 + i]) << r << "," << i;
      EXPECT_EQ(dram[0x20000 + r * 128 + 100], 0) << "nothing past LEN";
    }
    EXPECT_EQ(h.read32(d + dma_reg::kBytesMoved), 300u);
    // 6 bursts (2 per row) each read from DRAM (>= 50 ns latency) then written back.
    EXPECT_GE(took, sc_core::sc_time(12 * 50, sc_core::SC_NS));
  };
  sc_core::sc_start();
}

TEST(Soc, DmaErrorNamesTheFailingAccess) {
  Bench b({});
  b.host->body = [&](Host& h) {
    const uint64_t d = memory_map::kDmaBase;
    h.write32(d + dma_reg::kSrc, 0x20000000);
    h.write32(d + dma_reg::kDst, 0x0);
    h.write32(d + dma_reg::kLen, 16);
    uint32_t start = dma_reg::kCtrlStart;
    EXPECT_EQ(h.access(tlm::TLM_WRITE_COMMAND, d + dma_reg::kCtrl, &start, 4), tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_EQ(h.read32(d + dma_reg::kError), uint32_t(dma_reg::kReadFailed));
    EXPECT_NE(b.observer.last_fault().find("read of 16 bytes at 0x20000000 failed with TLM_ADDRESS_ERROR_RESPONSE"),
              std::string::npos)
        << b.observer.last_fault();
  };
  sc_core::sc_start();
}

TEST(Soc, TileComputesTheExactProductWhenTheAdcIsLossless) {
  // A 12-bit ADC covers 128 rows x 3 levels x 1 DAC step without rounding.
  Bench b({"arch.adc.bits=12"});
  b.host->body = [&](Host& h) {
    const int rows = 20, cols = 5, n = 3;
    std::vector<int8_t> w(rows * cols), x(n * rows);
    for (int i = 0; i < rows * cols; ++i) w[i] = static_cast<int8_t>((i * 37) % 255 - 127);
    for (int i = 0; i < n * rows; ++i) x[i] = static_cast<int8_t>((i * 91) % 256 - 128);
    const uint32_t pitch = h.read32(kTile + tile_map::kWeightPitch);
    for (int r = 0; r < rows; ++r) {
      EXPECT_EQ(h.access(tlm::TLM_WRITE_COMMAND, kTile + tile_map::kWeights + r * pitch, &w[r * cols], cols),
                tlm::TLM_OK_RESPONSE);
    }
    h.wait_idle(kTile + tile_map::kStatus);
    std::vector<int8_t> back(cols);
    EXPECT_EQ(h.access(tlm::TLM_READ_COMMAND, kTile + tile_map::kWeights + 7 * pitch, back.data(), cols),
              tlm::TLM_OK_RESPONSE);
    for (int j = 0; j < cols; ++j) EXPECT_EQ(back[j], w[7 * cols + j]);
    EXPECT_EQ(h.access(tlm::TLM_WRITE_COMMAND, kTile + tile_map::kInputBuffer, x.data(), n * rows),
              tlm::TLM_OK_RESPONSE);
    h.write32(kTile + tile_map::kRows, rows);
    h.write32(kTile + tile_map::kCols, cols);
    h.write32(kTile + tile_map::kNumVectors, n);
    h.write32(kTile + tile_map::kCtrl, tile_map::kCtrlStart);
    EXPECT_EQ(h.read32(kTile + tile_map::kStatus) & 1u, 1u);
    h.wait_idle(kTile + tile_map::kStatus);
    float lsb;
    const uint32_t bits = h.read32(kTile + tile_map::kOutLsb);
    std::memcpy(&lsb, &bits, 4);
    EXPECT_EQ(lsb, static_cast<float>(b.soc->tile(0).array(0).adc_lsb(rows)));
    std::vector<int32_t> y(n * cols);
    EXPECT_EQ(h.access(tlm::TLM_READ_COMMAND, kTile + tile_map::kOutputBuffer, y.data(), n * cols * 4),
              tlm::TLM_OK_RESPONSE);
    for (int v = 0; v < n; ++v) {
      for (int j = 0; j < cols; ++j) {
        int32_t ref = 0;
        for (int i = 0; i < rows; ++i) ref += int32_t(x[v * rows + i]) * w[i * cols + j];
        EXPECT_EQ(double(y[v * cols + j]) * lsb, double(ref)) << "vector " << v << " output " << j;
      }
    }
    EXPECT_EQ(h.read32(kTile + tile_map::kVectorsDone), uint32_t(n));
    EXPECT_EQ(b.soc->tile(0).counters().adc_conversions, int64_t(n) * 8 * cols * 4);
  };
  sc_core::sc_start();
}

TEST(Controller, RejectsACorruptImageAtBoot) {
  auto image = firmware::ProgramBuilder().wait(1).end().image();
  image[20] ^= 0xFF;  // corrupt a command: the checksum no longer matches
  Bench b({}, image);
  b.host->body = [](Host&) {};
  sc_core::sc_start();
  EXPECT_EQ(b.soc->controller().outcome(), Controller::Outcome::FirmwareError);
  EXPECT_NE(b.soc->controller().error().find("boot: program image at 0x00000000: checksum mismatch"), std::string::npos)
      << b.soc->controller().error();
}

TEST(Controller, StopsOnARejectedRegisterWriteNamingTheCommand) {
  const auto image = firmware::ProgramBuilder()
                         .write32(static_cast<uint32_t>(kTile + tile_map::kRows), 0)
                         .write32(static_cast<uint32_t>(kTile + tile_map::kCtrl), tile_map::kCtrlStart)
                         .end()
                         .image();
  Bench b({}, image);
  b.host->body = [](Host&) {};
  sc_core::sc_start();
  EXPECT_EQ(b.soc->controller().outcome(), Controller::Outcome::FirmwareError);
  const std::string& e = b.soc->controller().error();
  EXPECT_NE(e.find("command 1 (WRITE32  [0x40000008] <- 0x00000001): write of 4 at 0x40000008 (tile0 +0x8) failed "
                   "with TLM_GENERIC_ERROR_RESPONSE: soc.tile0: CTRL <- 0x1 rejected: ROWS 0"),
            std::string::npos)
      << e;
  EXPECT_EQ(b.soc->controller().commands_executed(), 1);
  // The refusal is in the run's fault list, with the block and the time it was issued.
  ASSERT_EQ(b.observer.faults().size(), 1u);
  EXPECT_EQ(b.observer.faults()[0].block, "soc.tile0");
  EXPECT_EQ(b.observer.faults()[0].message.rfind("CTRL <- 0x1 rejected: ROWS 0", 0), 0u)
      << b.observer.faults()[0].message;
  EXPECT_GT(b.observer.faults()[0].time_ps, 0u);
}

TEST(Controller, ExpectFailureAndUnmappedWrite) {
  const auto image = firmware::ProgramBuilder().expect32(static_cast<uint32_t>(kTile + tile_map::kId), ~0u, 0).end().image();
  Bench b({}, image);
  b.host->body = [](Host&) {};
  sc_core::sc_start();
  EXPECT_EQ(b.soc->controller().error(),
            "command 0 (EXPECT32 [0x40000000] & 0xffffffff == 0x00000000): read 0x58425431 from 0x40000000 (tile0 "
            "+0x0), masked 0x58425431 != expected 0x00000000");
}

TEST(Controller, PollTimesOut) {
  const auto image = firmware::ProgramBuilder().poll32(static_cast<uint32_t>(kTile + tile_map::kId), ~0u, 0).end().image();
  Bench b({"arch.controller.poll_timeout_us=2"}, image);
  b.host->body = [](Host&) {};
  sc_core::sc_start();
  EXPECT_NE(b.soc->controller().error().find("no match after 2 us (last read 0x58425431)"), std::string::npos)
      << b.soc->controller().error();
  EXPECT_GE(b.soc->controller().end_time(), sc_core::sc_time(2, sc_core::SC_US));
}

TEST(Soc, NoiseBlockFillsItsWindowWithGaussianSamples) {
  Bench b({});
  b.host->body = [&](Host& h) {
    const uint64_t n = memory_map::kNoiseBase;
    EXPECT_EQ(h.read32(n + noise_reg::kId), noise_reg::kIdValue);
    h.write32(n + noise_reg::kMode, noise_reg::kModeGaussian);
    h.write32(n + noise_reg::kCount, 4000);
    const sc_core::sc_time before = sc_core::sc_time_stamp() + h.delay;
    h.write32(n + noise_reg::kCtrl, noise_reg::kCtrlStart);
    h.wait_idle(n + noise_reg::kStatus);
    // 4000 samples at 10 ns each.
    EXPECT_GE(sc_core::sc_time_stamp() + h.delay - before, sc_core::sc_time(40, sc_core::SC_US));
    std::vector<float> s(4000);
    EXPECT_EQ(h.access(tlm::TLM_READ_COMMAND, n + noise_reg::kWindow, s.data(), 16000), tlm::TLM_OK_RESPONSE);
    double mean = 0, var = 0;
    for (float v : s) mean += v;
    mean /= s.size();
    for (float v : s) var += (v - mean) * (v - mean);
    var /= s.size();
    EXPECT_NEAR(mean, 0.0, 0.06);
    EXPECT_NEAR(var, 1.0, 0.1);
    EXPECT_EQ(h.read32(n + noise_reg::kSamples), 4000u);
    uint32_t too_many = 5000;
    EXPECT_EQ(h.access(tlm::TLM_WRITE_COMMAND, n + noise_reg::kCount, &too_many, 4), tlm::TLM_OK_RESPONSE);
    uint32_t start = noise_reg::kCtrlStart;
    EXPECT_EQ(h.access(tlm::TLM_WRITE_COMMAND, n + noise_reg::kCtrl, &start, 4), tlm::TLM_GENERIC_ERROR_RESPONSE);
    EXPECT_NE(b.observer.last_fault().find("COUNT 5000 must be in [1, 4096]"), std::string::npos);
  };
  sc_core::sc_start();
  EXPECT_EQ(b.soc->noise().samples(), 4000);
}
