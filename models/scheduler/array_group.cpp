#include "models/scheduler/array_group.h"

#include <algorithm>

#include <fmt/format.h>

#include "models/base/sc_time_ps.h"

namespace memgan {

using namespace array_group_reg;

ArrayGroup::ArrayGroup(sc_core::sc_module_name name, const std::vector<sched::Op>& ops, int resource,
                       const ArrayGroupParams& params, RunObserver& observer, const std::string& trace_name,
                       BlockProbe& mapper, std::shared_ptr<const trace::EnumLabels> layer_labels)
    : Peripheral(name, {params.clock_period, params.register_access_cycles, params.register_access_pj}, kSize, observer,
                 trace_name),
      ops_(ops),
      resource_(resource),
      params_(params),
      probe_(observer, trace_name, 0.0),
      mapper_(mapper) {
  if (auto* vcd = observer.vcd(); vcd && observer.signals().selected(trace_name + ".op"))
    op_signal_ = layer_labels ? vcd->add_enum(trace_name + ".op", 16, std::move(layer_labels))
                              : vcd->add_int(trace_name + ".op", 16);
  id_.on_read([](const sc_core::sc_time&) { return kIdValue; });
  status_.on_read([this](const sc_core::sc_time&) { return busy() ? kStatusBusy : 0u; });
  cmd_.on_write([this](uint32_t v, const sc_core::sc_time&) { return start(v); });
  done_.on_read([this](const sc_core::sc_time&) { return busy() ? kStatusBusy : 0u; });
  done_.stall_while_busy();
  ops_reg_.on_read([this](const sc_core::sc_time&) { return static_cast<uint32_t>(ops_done_); });
}

std::string ArrayGroup::start(uint32_t op_index) {
  if (busy()) return "CMD written while busy (read DONE first)";
  if (op_index >= ops_.size() || ops_[op_index].resource != resource_)
    return fmt::format("CMD {}: not an operation of this array group", op_index);
  const sched::Op& op = ops_[op_index];
  // Addresses run ahead of the arrays by one: the op lasts as long as the slower of the two.
  const uint64_t cycle_ps = to_ps(params_.clock_period);
  const uint64_t address_ps = uint64_t(op.mvms) * uint64_t(params_.mapper_cycles_per_mvm) * cycle_ps;
  const uint64_t fill_ps = op.mvms > 0 ? uint64_t(params_.mapper_cycles_per_mvm) * cycle_ps : 0;
  const uint64_t t0 = access_ps(), t1 = t0 + fill_ps + std::max(op.duration_ps, address_ps);
  if (op.mvms > 0) mapper_.activity(t0, t0 + fill_ps + address_ps, double(op.mvms) * params_.mapper_pj_per_mvm, op.mvms);
  probe_.activity(t0, t1, op.energy_pj);
  if (auto* vcd = observer().vcd(); vcd && op_signal_ != ~trace::SignalId{0}) {
    vcd->set(op_signal_, t0, op.layer + 1);
    vcd->set(op_signal_, t1, 0);
  }
  set_busy_until(t1);
  ++ops_done_;
  return {};
}

}  // namespace memgan
