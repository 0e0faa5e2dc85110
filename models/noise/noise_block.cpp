#include "models/noise/noise_block.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "models/base/sc_time_ps.h"

namespace memgan {

using namespace noise_reg;

NoiseBlock::NoiseBlock(sc_core::sc_module_name name, const NoiseParams& params, const xbar::DeviceParams& device,
                       const xbar::NoiseSourceParams& source, uint64_t seed, RunObserver& observer, double leakage_mw)
    : Peripheral(name, {params.clock_period, params.register_access_cycles, params.register_access_pj}, kWindow,
                 observer),
      params_(params),
      source_(device, source, seed),
      probe_(observer, this->name(), leakage_mw),
      window_(params.buffer_samples, 0.0f) {
  id_.on_read([](const sc_core::sc_time&) { return kIdValue; });
  status_.on_read([this](const sc_core::sc_time&) {
    return (busy() ? kStatusBusy : 0u) | (error_ ? kStatusError : 0u);
  });
  error_reg_.on_read([this](const sc_core::sc_time&) { return error_; });
  mode_.on_write([](uint32_t v, const sc_core::sc_time&) -> std::string {
    return v <= kModeGaussian ? "" : "MODE must be 0 (uniform) or 1 (gaussian)";
  });
  samples_.on_read([this](const sc_core::sc_time&) { return static_cast<uint32_t>(source_.samples()); });
  ctrl_.on_write([this](uint32_t v, const sc_core::sc_time&) -> std::string {
    return (v & kCtrlStart) ? start() : "";
  });
}

std::string NoiseBlock::start() {
  if (busy()) return "START while busy (poll STATUS.BUSY first)";
  const uint32_t count = count_.value();
  if (count == 0 || count > window_.size()) {
    error_ = 1;
    return fmt::format("COUNT {} must be in [1, {}] (the sample window)", count, window_.size());
  }
  error_ = 0;
  const double energy_before = source_.read_energy_pj();
  if (mode_.value() == kModeGaussian) source_.gaussian(window_.data(), count);
  else source_.uniform(window_.data(), count);
  const double energy = source_.read_energy_pj() - energy_before + params_.sample_pj * count;
  set_busy_until(access_ps() + static_cast<uint64_t>(std::llround(params_.sample_ns * 1e3 * count)));
  probe_.activity(access_ps(), busy_until_ps(), energy, count);
  return {};
}

uint64_t NoiseBlock::draw_latents(int64_t count, int pairs, uint64_t ready_ps) {
  if (count <= 0) return ready_ps;
  const uint64_t start = std::max(ready_ps, busy_until_ps());
  const uint64_t end =
      start + static_cast<uint64_t>(std::llround(params_.sample_ns * 1e3 * double(count) / std::max(1, pairs)));
  set_busy_until(end);
  probe_.activity(start, end, params_.sample_pj * double(count), count);
  latents_drawn_ += count;
  return end;
}

std::string NoiseBlock::transport_window(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  const uint64_t off = tx.get_address(), len = tx.get_data_length();
  if (tx.is_read() && off + len <= kWindow + window_.size() * 4) {
    std::memcpy(tx.get_data_ptr(), reinterpret_cast<const uint8_t*>(window_.data()) + (off - kWindow), len);
    delay += params_.clock_period * double((len + 3) / 4);
    tx.set_response_status(tlm::TLM_OK_RESPONSE);
    return {};
  }
  tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
  return fmt::format("no {} at offset 0x{:x} (+{} bytes): the sample window is read-only and holds {} samples",
                     tx.is_read() ? "data" : "writable location", off, len, window_.size());
}

}  // namespace memgan
