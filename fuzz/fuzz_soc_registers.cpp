// fuzz_soc_registers: an elaborated SoC (platform/soc.h, configs/mvm.yaml with 1 MiB of DRAM
// and 4 KiB tile buffers, for speed) driven through its bus by a second bus master, with any
// address, size, value and DMA descriptor.
//
// SystemC elaborates once per process: LLVMFuzzerInitialize builds the SoC and a host
// initiator bound to the bus and elaborates (sc_simcontext::elaborate(), without starting the
// simulation: the controller never runs). Every input is then a sequence of TLM b_transport
// calls made from the fuzz callback with a local delay variable (no model on these paths
// calls wait(), so no kernel is needed). Before each input the RW registers of DMA, noise
// block and tile go back to their reset values, DRAM is cleared and the local time moves 10 ms
// past everything earlier inputs started, so that an input runs (nearly) the same way wherever
// it comes in a run (the arrays' conductances and the buffers carry over).
//
// Input: a sequence of bus operations (reads, writes, DMA descriptors with START, time steps,
// ignore commands, byte-enabled accesses at addresses relative to a chosen base), parsed by
// fuzz/soc_input.h.
//
// Checks: every access returns a response status other than TLM_INCOMPLETE_RESPONSE with the
// initiator's address restored, never writes beyond its data buffer, never throws, crashes,
// leaks or trips a sanitizer.
//
// Speed bound (not a bug guard): a DMA START is not issued when its copy would move more than
// 256 KiB but no more than dma_reg::kMaxCopyBytes (1 GiB). The copy runs inside the START
// write, so a 1 GiB one takes minutes of host time here and adds nothing a small one does not;
// a larger one is issued (the DMA rejects it with kBadLength), so is a copy into the DMA's own
// registers (kStartWhileBusy). Their regression tests are in tests/fuzz_regressions/.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "core/config/loader.h"
#include "fuzz/soc_input.h"
#include "platform/soc.h"
#include "spec/memory_map.h"
#include "spec/regs/dma.h"
#include "spec/regs/noise.h"
#include "spec/regs/tile.h"

// libsystemc's main() calls sc_main; libFuzzer's main() runs instead, so this never does.
extern "C" int sc_main(int, char*[]) { return 0; }

namespace {

using namespace memgan;
namespace mm = memory_map;

struct Host : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Host> socket{"socket"};
  explicit Host(sc_core::sc_module_name n) : sc_module(n) {}
};

struct Bench {
  config::LoadedConfig cfg;
  std::unique_ptr<RunObserver> observer;
  std::unique_ptr<Soc> soc;
  std::unique_ptr<Host> host;
  sc_core::sc_time now = sc_core::SC_ZERO_TIME;  // the next input's local start time
};

Bench* bench = nullptr;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_soc_registers: %s\n", what.c_str());
  std::abort();
}

// One access with a buffer of exactly `len` bytes (ASan sees any model writing past it).
tlm::tlm_response_status access(tlm::tlm_command cmd, uint64_t addr, uint8_t* data, unsigned len,
                                sc_core::sc_time& delay, const uint8_t* byte_enable = nullptr,
                                unsigned byte_enable_len = 0) {
  std::vector<uint8_t> buf(data, data + len);
  std::vector<uint8_t> be;
  if (byte_enable) be.assign(byte_enable, byte_enable + byte_enable_len);
  tlm::tlm_generic_payload tx;
  tx.set_command(cmd);
  tx.set_address(addr);
  tx.set_data_ptr(buf.data());
  tx.set_data_length(len);
  tx.set_streaming_width(len);
  tx.set_byte_enable_ptr(be.empty() ? nullptr : be.data());
  tx.set_byte_enable_length(unsigned(be.size()));
  tx.set_dmi_allowed(false);
  tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  bench->host->socket->b_transport(tx, delay);
  const auto status = tx.get_response_status();
  if (status == tlm::TLM_INCOMPLETE_RESPONSE)
    fail("access without a response: " + std::to_string(cmd) + " at " + std::to_string(addr));
  if (tx.get_address() != addr) fail("the bus did not restore the initiator's address");
  if (tx.get_data_ptr() != buf.data() || tx.get_data_length() != len) fail("a target replaced the data buffer");
  std::memcpy(data, buf.data(), len);
  return status;
}

uint32_t read32(uint64_t addr, sc_core::sc_time& delay) {
  uint32_t v = 0;
  access(tlm::TLM_READ_COMMAND, addr, reinterpret_cast<uint8_t*>(&v), 4, delay);
  return v;
}
tlm::tlm_response_status write32(uint64_t addr, uint32_t v, sc_core::sc_time& delay) {
  return access(tlm::TLM_WRITE_COMMAND, addr, reinterpret_cast<uint8_t*>(&v), 4, delay);
}

// Whether a DMA START may be issued with the descriptor now in the registers (the speed bound).
bool dma_start_allowed(sc_core::sc_time& delay) {
  const uint64_t base = mm::kDmaBase;
  const uint64_t bytes = uint64_t(read32(base + dma_reg::kLen, delay)) * read32(base + dma_reg::kRows, delay);
  return bytes <= (uint64_t(256) << 10) || bytes > dma_reg::kMaxCopyBytes;
}

void reset_registers(sc_core::sc_time& delay) {
  const auto reset = [&](uint64_t base, const auto& table) {
    for (const spec::RegisterSpec& r : table)
      if (r.access == spec::Access::ReadWrite) write32(base + r.offset, r.reset, delay);
  };
  reset(mm::kDmaBase, dma_reg::kRegisters);
  reset(mm::kNoiseBase, noise_reg::kRegisters);
  for (int i = 0; i < bench->soc->tiles(); ++i) reset(mm::tile_base(i), tile_map::kRegisters);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  bench = new Bench;
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  bench->cfg = config::load_config(std::string(MEMGAN_SOURCE_DIR) + "/configs/mvm.yaml",
                                   {"simulation.log_level=error", "simulation.trace.enabled=false",
                                    "simulation.timeline.enabled=false", "arch.dram.size_mib=1",
                                    "arch.buffers.input_kib=4", "arch.buffers.output_kib=4"});
  // 1 s power windows: the local time only grows, the ledger stays small.
  bench->observer = std::make_unique<RunObserver>(uint64_t(1) << 40, nullptr);
  bench->soc = std::make_unique<Soc>("soc", bench->cfg.config, *bench->observer);
  bench->host = std::make_unique<Host>("fuzz_host");
  bench->host->socket.bind(bench->soc->bus().initiators);
  bench->observer->begin_trace();
  // Elaboration only (the sockets' binding completes at its end), no simulation: SystemC makes
  // no thread coroutines, so none sits suspended on a stack LeakSanitizer cannot scan (and
  // whose guard page it faults on), and the controller never runs. The models answer
  // b_transport calls without the kernel.
  sc_core::sc_get_curr_simcontext()->elaborate();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return -1;  // long sequences add little and slow everything down
  sc_core::sc_time delay = bench->now;
  std::memset(bench->soc->dram().data(), 0, bench->soc->dram().size());
  reset_registers(delay);
  for (fuzz::SocOp& op : fuzz::parse_soc_input(data, size)) {
    if (op.is_time()) {
      delay += sc_core::sc_time(10.0 * op.time_10ns, sc_core::SC_NS);
      continue;
    }
    if (fuzz::writes_dma_start(op) && !dma_start_allowed(delay)) continue;
    access(op.cmd, op.addr, op.data.data(), unsigned(op.data.size()), delay,
           op.byte_enable.empty() ? nullptr : op.byte_enable.data(), unsigned(op.byte_enable.size()));
  }
  // Whatever this input started has ended 10 ms later (the longest operation it can start,
  // a 256 KiB DMA copy, takes well under 1 ms; a tile MVM or a noise fill a few tens of us).
  bench->now = delay + sc_core::sc_time(10, sc_core::SC_MS);
  return 0;
}
