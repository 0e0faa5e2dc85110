// Regression tests for what fuzz_soc_registers and fuzz_checkpoint (fuzz/, scripts/fuzz.sh)
// found: each feeds its checked-in input tests/fuzz_regressions/data/<target>-<name>.bin to the
// code the fuzz target drives, as the target does (fuzz/soc_input.h, fuzz/checkpoint_input.h),
// and checks the error response or the clean error. SystemC elaborates once per process: one
// ctest test per GoogleTest test (memgan_add_sc_gtest_each).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "core/config/loader.h"
#include "fuzz/checkpoint_input.h"
#include "fuzz/soc_input.h"
#include "platform/run.h"
#include "platform/soc.h"
#include "platform/train_checkpoint.h"
#include "platform/train_inputs.h"
#include "spec/memory_map.h"
#include "spec/regs/dma.h"
#include "tests/temp_dir_test.h"

using namespace memgan;
namespace mm = memory_map;

namespace {

std::string data_file(const std::string& name) {
  return std::string(MEMGAN_SOURCE_DIR) + "/tests/fuzz_regressions/data/" + name;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f) << path;
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// --- fuzz_soc_registers: the SoC the target elaborates, driven by its input ---------------------

struct Host : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Host> socket{"socket"};
  explicit Host(sc_core::sc_module_name n) : sc_module(n) {}
};

struct SocBench {
  config::LoadedConfig cfg = config::load_config(
      std::string(MEMGAN_SOURCE_DIR) + "/configs/mvm.yaml",
      {"simulation.log_level=error", "simulation.trace.enabled=false", "simulation.timeline.enabled=false",
       "arch.dram.size_mib=1", "arch.buffers.input_kib=4", "arch.buffers.output_kib=4"});
  RunObserver observer{uint64_t(1) << 40, nullptr};
  std::unique_ptr<Soc> soc;
  Host host{"host"};
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;

  SocBench() {
    sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
    soc = std::make_unique<Soc>("soc", cfg.config, observer);
    host.socket.bind(soc->bus().initiators);
    observer.begin_trace();
    sc_core::sc_get_curr_simcontext()->elaborate();  // as the fuzz target: no sc_start, no controller
  }

  tlm::tlm_response_status access(fuzz::SocOp& op) {
    tlm::tlm_generic_payload tx;
    tx.set_command(op.cmd);
    tx.set_address(op.addr);
    tx.set_data_ptr(op.data.data());
    tx.set_data_length(unsigned(op.data.size()));
    tx.set_streaming_width(unsigned(op.data.size()));
    tx.set_byte_enable_ptr(op.byte_enable.empty() ? nullptr : op.byte_enable.data());
    tx.set_byte_enable_length(unsigned(op.byte_enable.size()));
    tx.set_dmi_allowed(false);
    tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    host.socket->b_transport(tx, delay);
    EXPECT_NE(tx.get_response_status(), tlm::TLM_INCOMPLETE_RESPONSE);
    EXPECT_EQ(tx.get_address(), op.addr);
    return tx.get_response_status();
  }
  uint32_t read32(uint64_t addr) {
    fuzz::SocOp op;
    op.cmd = tlm::TLM_READ_COMMAND;
    op.addr = addr;
    op.data.assign(4, 0);
    EXPECT_EQ(access(op), tlm::TLM_OK_RESPONSE);
    uint32_t v = 0;
    std::memcpy(&v, op.data.data(), 4);
    return v;
  }

  // Runs every operation of the input (no speed bound) and returns the responses of its DMA
  // STARTs, in order.
  std::vector<tlm::tlm_response_status> run_input(const std::string& name) {
    const std::string in = slurp(data_file(name));
    std::vector<tlm::tlm_response_status> starts;
    for (fuzz::SocOp& op : fuzz::parse_soc_input(reinterpret_cast<const uint8_t*>(in.data()), in.size())) {
      if (op.is_time()) {
        delay += sc_core::sc_time(10.0 * op.time_10ns, sc_core::SC_NS);
        continue;
      }
      const bool start = fuzz::writes_dma_start(op);
      const auto status = access(op);
      if (start) starts.push_back(status);
    }
    return starts;
  }
  // The faults of the DMA whose message contains `what`.
  int dma_faults(const std::string& what) const {
    int n = 0;
    for (const auto& f : observer.faults())
      if (f.block.find("dma") != std::string::npos && f.message.find(what) != std::string::npos) ++n;
    return n;
  }
};

}  // namespace

// A DMA copy of the word 1 from DRAM to the DMA's own CTRL: the copy wrote START from inside
// itself and Dma::start recursed until the stack overflowed. The inner START is now refused,
// so the copy's write fails and so does the START that began it.
TEST(FuzzSocRegisters, DmaCopyOntoItsOwnCtrlDoesNotRestartIt) {
  SocBench b;
  const auto starts = b.run_input("fuzz_soc_registers-dma-restarts-itself.bin");
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0], tlm::TLM_GENERIC_ERROR_RESPONSE);
  // The inner START's own fault, and the copy's failed write that names it.
  EXPECT_EQ(b.dma_faults("START written by the DMA's own copy"), 2);
  EXPECT_EQ(b.dma_faults("write of 4 bytes at 0x30000008 failed"), 1);
  EXPECT_TRUE(b.read32(mm::kDmaBase + dma_reg::kStatus) & dma_reg::kStatusError);
  EXPECT_NE(b.read32(mm::kDmaBase + dma_reg::kError), uint32_t(dma_reg::kNone));
}

// A descriptor of 16 bytes x 0xFF000080 rows (about 64 GiB, stride 0 into a tile's weights)
// ran inside the START write for days. ROWS x LEN above kMaxCopyBytes is now kBadLength, at once.
TEST(FuzzSocRegisters, DmaDescriptorAboveTheCopyLimitIsRejected) {
  SocBench b;
  const auto starts = b.run_input("fuzz_soc_registers-dma-huge-descriptor.bin");
  ASSERT_FALSE(starts.empty());
  EXPECT_GE(b.dma_faults("-byte copy limit"), 1);
  EXPECT_EQ(b.dma_faults("exceeds the " + std::to_string(dma_reg::kMaxCopyBytes) + "-byte copy limit"),
            b.dma_faults("-byte copy limit"));
  EXPECT_EQ(std::count(starts.begin(), starts.end(), tlm::TLM_GENERIC_ERROR_RESPONSE),
            std::ptrdiff_t(b.dma_faults("")));
}

// --- fuzz_checkpoint: resume_checkpoint of fuzz/checkpoint/tiny.yaml -------------------------

namespace {

class FuzzCheckpoint : public memgan::testing::TempDirTest {
 protected:
  FuzzCheckpoint() : TempDirTest("fuzz_regressions_checkpoint") {}

  // The InputError message of resuming from the input, as fuzz_checkpoint does ("" and a
  // failure when it is accepted).
  std::string resume_error(const std::string& name) {
    const auto loaded = config::load_config(std::string(MEMGAN_SOURCE_DIR) + "/fuzz/checkpoint/tiny.yaml",
                                            {"train.steps=1000000"});
    const std::string in = slurp(data_file(name));
    fuzz::CheckpointInput::parse(in).write(dir_);
    TrainInputs inputs = load_train_inputs(loaded);
    try {
      resume_checkpoint(dir_.string(), loaded.config, *inputs.trainer);
    } catch (const InputError& e) {
      return e.what();
    }
    ADD_FAILURE() << "the checkpoint was accepted";
    return {};
  }
};

}  // namespace

// A data order naming an image past the data set: LOAD_REAL read out of bounds (ASan).
TEST_F(FuzzCheckpoint, DataOrderIndexOutOfRangeIsRejected) {
  const std::string msg = resume_error("fuzz_checkpoint-order-index-out-of-range.bin");
  EXPECT_NE(msg.find("checkpoint: data order names image "), std::string::npos) << msg;
}

// A negative data cursor: LOAD_REAL indexed order[-5] (UBSan).
TEST_F(FuzzCheckpoint, NegativeDataCursorIsRejected) {
  const std::string msg = resume_error("fuzz_checkpoint-negative-cursor.bin");
  EXPECT_NE(msg.find("checkpoint: data cursor -5 outside [0, "), std::string::npos) << msg;
}

// A NaN float in a checkpoint field no loader checked: resume accepted it and the next update threw
// "non-finite delta". Every floating-point value read back is now checked for being finite.
TEST_F(FuzzCheckpoint, NonFiniteStoredValueIsRejected) {
  const std::string msg = resume_error("fuzz_checkpoint-nonfinite-update-delta.bin");
  EXPECT_NE(msg.find("corrupt state stream: a value is"), std::string::npos) << msg;
}

// A conductance of 9.6e198 uS (a one-byte shift in a cell's stored value): finite and positive,
// so accepted; the first MVM turned the sums into NaN and converted them to int (UBSan in
// adc_row). A restored conductance must be one the device reaches: at most g_max times the
// largest programming-variation draw.
TEST_F(FuzzCheckpoint, ConductanceBeyondTheDeviceIsRejected) {
  const std::string msg = resume_error("fuzz_checkpoint-huge-conductance.bin");
  EXPECT_NE(msg.find("CrossbarArray::load_state: corrupt conductance of cell 208 (9.62942e+198 uS; the device "
                     "reaches [0, 42.4173] uS)"),
            std::string::npos)
      << msg;
}

