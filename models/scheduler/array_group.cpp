#include "models/scheduler/array_group.h"

#include <algorithm>

#include <fmt/format.h>

#include "models/base/sc_time_ps.h"

namespace memgan {

using namespace array_group_reg;

ArrayGroup::ArrayGroup(sc_core::sc_module_name name, const std::vector<sched::Op>& ops, int resource,
                       const ArrayGroupParams& timing, RunObserver& observer, const std::string& trace_name,
                       BlockProbe& mapper, std::shared_ptr<const trace::EnumLabels> layer_labels)
    : sc_module(name),
      ops_(ops),
      resource_(resource),
      timing_(timing),
      observer_(observer),
      probe_(observer, trace_name, 0.0),
      reg_probe_(observer, trace_name + ".regs", 0.0, false),
      mapper_(mapper) {
  socket.register_b_transport(this, &ArrayGroup::b_transport);
  if (auto* vcd = observer.vcd(); vcd && observer.signals().selected(trace_name + ".op"))
    op_signal_ = layer_labels ? vcd->add_enum(trace_name + ".op", 16, std::move(layer_labels))
                              : vcd->add_int(trace_name + ".op", 16);
  bank_.add_ro("ID", kId, [] { return kIdValue; });
  bank_.add_ro("STATUS", kStatus, [this] { return access_ps_ < busy_until_ps_ ? kStatusBusy : 0u; });
  bank_.add_wo("CMD", kCmd, [this](uint32_t v) { return start(v); });
  bank_.add_ro("DONE", kDone, [this] { return access_ps_ < busy_until_ps_ ? kStatusBusy : 0u; });
  bank_.add_ro("OPS", kOps, [this] { return static_cast<uint32_t>(ops_done_); });
}

std::string ArrayGroup::start(uint32_t op_index) {
  if (access_ps_ < busy_until_ps_) return "CMD written while busy (read DONE first)";
  if (op_index >= ops_.size() || ops_[op_index].resource != resource_)
    return fmt::format("CMD {}: not an operation of this array group", op_index);
  const sched::Op& op = ops_[op_index];
  // Addresses run ahead of the arrays by one: the op lasts as long as the slower of the two.
  const uint64_t cycle_ps = to_ps(timing_.clock_period);
  const uint64_t address_ps = uint64_t(op.mvms) * uint64_t(timing_.mapper_cycles_per_mvm) * cycle_ps;
  const uint64_t fill_ps = op.mvms > 0 ? uint64_t(timing_.mapper_cycles_per_mvm) * cycle_ps : 0;
  const uint64_t t0 = access_ps_, t1 = t0 + fill_ps + std::max(op.duration_ps, address_ps);
  if (op.mvms > 0) mapper_.activity(t0, t0 + fill_ps + address_ps, double(op.mvms) * timing_.mapper_pj_per_mvm, op.mvms);
  probe_.activity(t0, t1, op.energy_pj);
  if (auto* vcd = observer_.vcd(); vcd && op_signal_ != ~trace::SignalId{0}) {
    vcd->set(op_signal_, t0, op.layer + 1);
    vcd->set(op_signal_, t1, 0);
  }
  busy_until_ps_ = t1;
  ++ops_done_;
  return {};
}

void ArrayGroup::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  const uint64_t off = tx.get_address();
  std::string why;
  if (off < kSize) {
    const uint64_t t0 = local_ps(delay);
    access_ps_ = stalling_register_access(tx, delay, timing_.clock_period * double(timing_.register_access_cycles),
                                          kDone, busy_until_ps_);
    why = bank_.access(tx, off);
    reg_probe_.activity(t0, access_ps_, timing_.register_access_pj);
  } else {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    why = fmt::format("no register at offset 0x{:x}", off);
  }
  if (!why.empty()) observer_.fault(name(), why);
}

}  // namespace memgan
