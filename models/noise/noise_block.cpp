#include "models/noise/noise_block.h"

#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "models/base/sc_time_ps.h"

namespace memgan {

using namespace noise_reg;

NoiseBlock::NoiseBlock(sc_core::sc_module_name name, const NoiseParams& timing, const xbar::DeviceParams& device,
                       const xbar::NoiseSourceParams& source, uint64_t seed, RunObserver& observer, double leakage_mw)
    : sc_module(name),
      timing_(timing),
      source_(device, source, seed),
      observer_(observer),
      probe_(observer, this->name(), leakage_mw),
      reg_probe_(observer, std::string(this->name()) + ".regs", 0.0, false),
      window_(timing.buffer_samples, 0.0f) {
  socket.register_b_transport(this, &NoiseBlock::b_transport);
  bank_.add_ro("ID", kId, [] { return kIdValue; });
  bank_.add_ro("STATUS", kStatus,
               [this] { return (access_ps_ < busy_until_ps_ ? kStatusBusy : 0u) | (error_ ? kStatusError : 0u); });
  bank_.add_ro("ERROR", kError, [this] { return error_; });
  bank_.add_rw("MODE", kMode, kModeGaussian, [](uint32_t v) -> std::string {
    return v <= kModeGaussian ? "" : "MODE must be 0 (uniform) or 1 (gaussian)";
  });
  bank_.add_rw("COUNT", kCount, 0);
  bank_.add_ro("SAMPLES", kSamples, [this] { return static_cast<uint32_t>(source_.samples()); });
  bank_.add_wo("CTRL", kCtrl, [this](uint32_t v) -> std::string { return (v & kCtrlStart) ? start() : ""; });
}

std::string NoiseBlock::start() {
  if (access_ps_ < busy_until_ps_) return "START while busy (poll STATUS.BUSY first)";
  const uint32_t count = bank_.value(kCount);
  if (count == 0 || count > window_.size()) {
    error_ = 1;
    return fmt::format("COUNT {} must be in [1, {}] (the sample window)", count, window_.size());
  }
  error_ = 0;
  const double energy_before = source_.read_energy_pj();
  if (bank_.value(kMode) == kModeGaussian) source_.gaussian(window_.data(), count);
  else source_.uniform(window_.data(), count);
  const double energy = source_.read_energy_pj() - energy_before + timing_.sample_pj * count;
  busy_until_ps_ = access_ps_ + static_cast<uint64_t>(std::llround(timing_.sample_ns * 1e3 * count));
  probe_.activity(access_ps_, busy_until_ps_, energy, count);
  return {};
}

void NoiseBlock::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  const uint64_t off = tx.get_address(), len = tx.get_data_length();
  std::string why;
  if (off < kWindow) {
    const uint64_t t0 = local_ps(delay);
    delay += timing_.clock_period * double(timing_.register_access_cycles);
    access_ps_ = local_ps(delay);
    why = bank_.access(tx, off);
    reg_probe_.activity(t0, access_ps_, timing_.register_access_pj);
  } else if (tx.is_read() && off + len <= kWindow + window_.size() * 4) {
    std::memcpy(tx.get_data_ptr(), reinterpret_cast<const uint8_t*>(window_.data()) + (off - kWindow), len);
    delay += timing_.clock_period * double((len + 3) / 4);
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
  } else {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    why = fmt::format("no {} at offset 0x{:x} (+{} bytes): the sample window is read-only and holds {} samples",
                      tx.is_read() ? "data" : "writable location", off, len, window_.size());
  }
  if (!why.empty()) observer_.fault(name(), why);
}

}  // namespace memgan
