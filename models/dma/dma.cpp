#include "models/dma/dma.h"

#include <fmt/format.h>

#include "models/base/sc_time_ps.h"

namespace memgan {

using namespace dma_reg;

Dma::Dma(sc_core::sc_module_name name, const DmaParams& timing, RunObserver& observer, double leakage_mw)
    : sc_module(name),
      timing_(timing),
      observer_(observer),
      probe_(observer, this->name(), leakage_mw),
      reg_probe_(observer, std::string(this->name()) + ".regs", 0.0, false),
      burst_(timing.burst_bytes) {
  regs.register_b_transport(this, &Dma::b_transport);
  bank_.add_ro("ID", kId, [] { return kIdValue; });
  bank_.add_ro("STATUS", kStatus, [this] {
    return (access_ps_ < busy_until_ps_ ? kStatusBusy : 0u) | (error_ != kNone ? kStatusError : 0u);
  });
  bank_.add_ro("ERROR", kError, [this] { return error_; });
  bank_.add_rw("SRC", kSrc, 0);
  bank_.add_rw("DST", kDst, 0);
  bank_.add_rw("LEN", kLen, 0);
  bank_.add_rw("ROWS", kRows, 1);
  bank_.add_rw("SRC_STRIDE", kSrcStride, 0);
  bank_.add_rw("DST_STRIDE", kDstStride, 0);
  bank_.add_ro("BYTES_MOVED", kBytesMoved, [this] { return static_cast<uint32_t>(bytes_moved_); });
  bank_.add_wo("CTRL", kCtrl, [this](uint32_t v) -> std::string {
    if (!(v & kCtrlStart)) return {};
    return start(*pending_delay_);
  });
}

void Dma::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  const uint64_t t0 = local_ps(delay);
  delay += timing_.clock_period * double(timing_.register_access_cycles);
  access_ps_ = local_ps(delay);
  pending_delay_ = &delay;
  const std::string why = bank_.access(tx, tx.get_address());
  pending_delay_ = nullptr;
  reg_probe_.activity(t0, local_ps(delay), timing_.register_access_pj);
  if (!why.empty()) observer_.fault(name(), why);
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
                    len, addr, tx.get_response_string(), observer_.last_fault());
  return false;
}

std::string Dma::start(sc_core::sc_time& delay) {
  if (access_ps_ < busy_until_ps_) {
    error_ = kStartWhileBusy;
    return "START while a transfer is still running (poll STATUS.BUSY first)";
  }
  const uint32_t src = bank_.value(kSrc), dst = bank_.value(kDst), len = bank_.value(kLen);
  const uint32_t rows = bank_.value(kRows);
  const uint32_t src_stride = bank_.value(kSrcStride), dst_stride = bank_.value(kDstStride);
  if (len == 0 || rows == 0) {
    error_ = kBadLength;
    return fmt::format("LEN ({}) and ROWS ({}) must both be non-zero", len, rows);
  }
  error_ = kNone;
  // The copy runs on the engine's own time line, starting now; the register write returns.
  sc_core::sc_time t = delay;
  const uint64_t t0 = local_ps(t);
  uint64_t moved = 0;
  for (uint32_t r = 0; r < rows; ++r) {
    for (uint32_t off = 0; off < len; off += timing_.burst_bytes) {
      const uint32_t n = std::min<uint32_t>(timing_.burst_bytes, len - off);
      std::string why;
      if (!move(uint64_t(src) + uint64_t(r) * src_stride + off, burst_.data(), n, tlm::TLM_READ_COMMAND, t, why)) {
        error_ = kReadFailed;
        busy_until_ps_ = local_ps(t);
        return why;
      }
      if (!move(uint64_t(dst) + uint64_t(r) * dst_stride + off, burst_.data(), n, tlm::TLM_WRITE_COMMAND, t, why)) {
        error_ = kWriteFailed;
        busy_until_ps_ = local_ps(t);
        return why;
      }
      moved += n;
    }
  }
  busy_until_ps_ = local_ps(t);
  bytes_moved_ += moved;
  probe_.activity(t0, busy_until_ps_, timing_.energy_pj_per_byte * double(moved));
  return {};
}

}  // namespace memgan
