#include "models/dma/dma.h"

#include <fmt/format.h>

#include "models/base/sc_time_ps.h"

namespace memgan {

using namespace dma_reg;

Dma::Dma(sc_core::sc_module_name name, const DmaParams& params, RunObserver& observer, double leakage_mw)
    : Peripheral(name, {params.clock_period, params.register_access_cycles, params.register_access_pj}, kSize, observer),
      params_(params),
      probe_(observer, this->name(), leakage_mw),
      burst_(params.burst_bytes) {
  id_.on_read([](const sc_core::sc_time&) { return kIdValue; });
  status_.on_read([this](const sc_core::sc_time&) {
    return (busy() ? kStatusBusy : 0u) | (error_ != kNone ? kStatusError : 0u);
  });
  error_reg_.on_read([this](const sc_core::sc_time&) { return error_; });
  bytes_moved_reg_.on_read([this](const sc_core::sc_time&) { return static_cast<uint32_t>(bytes_moved_); });
  ctrl_.on_write([this](uint32_t v, const sc_core::sc_time& delay) -> std::string {
    return (v & kCtrlStart) ? start(delay) : std::string();
  });
}

bool Dma::move(uint64_t addr, uint8_t* data, uint32_t len, tlm::tlm_command cmd, sc_core::sc_time& t,
               std::string& why) {
  tlm::tlm_generic_payload tx;
  tx.set_command(cmd);
  tx.set_address(addr);
  tx.set_data_ptr(data);
  tx.set_data_length(len);
  tx.set_streaming_width(len);
  tx.set_byte_enable_ptr(nullptr);
  tx.set_dmi_allowed(false);
  tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  master->b_transport(tx, t);
  if (tx.is_response_ok()) return true;
  why = fmt::format("{} of {} bytes at 0x{:08x} failed with {} ({})", cmd == tlm::TLM_READ_COMMAND ? "read" : "write",
                    len, addr, tx.get_response_string(), observer().last_fault());
  return false;
}

std::string Dma::start(const sc_core::sc_time& delay) {
  // A copy whose destination is this DMA's own CTRL would restart it from inside itself.
  if (copying_) {
    error_ = kStartWhileBusy;
    return "START written by the DMA's own copy (its destination covers the DMA registers)";
  }
  if (busy()) {
    error_ = kStartWhileBusy;
    return "START while a transfer is still running (poll STATUS.BUSY first)";
  }
  const uint32_t src = src_.value(), dst = dst_.value(), len = len_.value();
  const uint32_t rows = rows_.value();
  const uint32_t src_stride = src_stride_.value(), dst_stride = dst_stride_.value();
  if (len == 0 || rows == 0) {
    error_ = kBadLength;
    return fmt::format("LEN ({}) and ROWS ({}) must both be non-zero", len, rows);
  }
  // The copy runs inside this register write: bound it by the largest memory on the bus, so a
  // hostile descriptor cannot hold the simulation for hours.
  if (uint64_t(len) * rows > kMaxCopyBytes) {
    error_ = kBadLength;
    return fmt::format("ROWS x LEN = {} x {} bytes exceeds the {}-byte copy limit", rows, len, kMaxCopyBytes);
  }
  copying_ = true;
  struct Done {
    bool& flag;
    ~Done() { flag = false; }
  } done{copying_};
  error_ = kNone;
  // The copy runs on the engine's own time line, starting now; the register write returns.
  sc_core::sc_time t = delay;
  const uint64_t t0 = local_ps(t);
  uint64_t moved = 0;
  for (uint32_t r = 0; r < rows; ++r) {
    for (uint32_t off = 0; off < len; off += params_.burst_bytes) {
      const uint32_t n = std::min<uint32_t>(params_.burst_bytes, len - off);
      std::string why;
      if (!move(uint64_t(src) + uint64_t(r) * src_stride + off, burst_.data(), n, tlm::TLM_READ_COMMAND, t, why)) {
        error_ = kReadFailed;
        set_busy_until(local_ps(t));
        return why;
      }
      if (!move(uint64_t(dst) + uint64_t(r) * dst_stride + off, burst_.data(), n, tlm::TLM_WRITE_COMMAND, t, why)) {
        error_ = kWriteFailed;
        set_busy_until(local_ps(t));
        return why;
      }
      moved += n;
    }
  }
  set_busy_until(local_ps(t));
  bytes_moved_ += moved;
  probe_.activity(t0, busy_until_ps(), params_.energy_pj_per_byte * double(moved));
  return {};
}

}  // namespace memgan
