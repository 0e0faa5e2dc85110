#include "models/base/rtl_signal_tap.h"

#include <cstring>
#include <map>
#include <regex>
#include <stdexcept>

#include <verilated.h>
#include <verilated_syms.h>

namespace memgan::rtl {

RtlSignalTap::RtlSignalTap(RunObserver* observer, const std::string& scope, const std::string& trace_prefix) {
  if (!observer || !observer->vcd()) return;
  const VerilatedScopeNameMap* scopes = Verilated::threadContextp()->scopeNameMap();
  const auto it = scopes ? scopes->find(scope.c_str()) : VerilatedScopeNameMap::const_iterator{};
  if (!scopes || it == scopes->end())
    throw std::logic_error("RtlSignalTap: no Verilator scope '" + scope + "' (verilate with --public-flat-rw)");
  const VerilatedVarNameMap* vars = it->second->varsp();
  if (!vars) return;
  // Sorted by name, so the trace's declaration order does not depend on the table's hashing.
  std::map<std::string, const VerilatedVar*> sorted;
  for (const auto& [name, var] : *vars) sorted.emplace(name, &var);
  static const std::regex kTraceable("[A-Za-z0-9_]+");
  vcd_ = observer->vcd();
  for (const auto& [name, var] : sorted) {
    if (var->isParam() || var->udims() > 0 || !std::regex_match(name, kTraceable)) continue;
    int bytes = 0;
    switch (var->vltype()) {
      case VLVT_UINT8: bytes = 1; break;
      case VLVT_UINT16: bytes = 2; break;
      case VLVT_UINT32: bytes = 4; break;
      case VLVT_UINT64: bytes = 8; break;
      default: continue;  // wide or string variables: not traced
    }
    const int width = var->dims() == 0 ? 1 : var->packed().elements();
    const std::string full = trace_prefix + "." + name;
    if (width < 1 || width > 64 || !observer->signals().selected(full)) continue;
    const uint64_t mask = width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
    taps_.push_back({var->datap(), bytes, mask, vcd_->add_int(full, width), 0});
  }
}

void RtlSignalTap::sample(uint64_t t_ps) {
  for (Tap& tap : taps_) {
    uint64_t v = 0;
    switch (tap.bytes) {  // Verilator stores a variable in the smallest of these that holds it
      case 1: v = *static_cast<const uint8_t*>(tap.data); break;
      case 2: v = *static_cast<const uint16_t*>(tap.data); break;
      case 4: v = *static_cast<const uint32_t*>(tap.data); break;
      default: std::memcpy(&v, tap.data, 8); break;
    }
    v &= tap.mask;
    if (sampled_ && v == tap.last) continue;
    tap.last = v;
    vcd_->set(tap.id, t_ps, static_cast<int64_t>(v));
  }
  sampled_ = true;
}

}  // namespace memgan::rtl
