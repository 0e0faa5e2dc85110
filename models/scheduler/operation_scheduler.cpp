#include "scheduler/operation_scheduler.h"

#include "common/sc_time_ps.h"

namespace memgan {

OperationScheduler::OperationScheduler(sc_core::sc_module_name name, sched::OperationGraph graph,
                                       const SchedulerTiming& timing, RunObserver& observer)
    : sc_module(name),
      graph_(std::move(graph)),
      timing_(timing),
      observer_(observer),
      queue_(graph_.resources.size()),
      done_(graph_.ops.size(), false),
      dispatch_probe_(observer, std::string(this->name()) + ".dispatch", 0.0),
      mapper_probe_(observer, std::string(this->name()) + ".dataflow_mapper", 0.0) {
  for (size_t i = 0; i < graph_.ops.size(); ++i) {
    queue_[graph_.ops[i].resource].push_back(static_cast<int>(i));
    done_event_.push_back(std::make_unique<sc_core::sc_event>());
  }
  for (const auto& r : graph_.resources) {
    const std::string block = std::string(this->name()) + "." + r;
    probe_.push_back(std::make_unique<BlockProbe>(observer, block, 0.0));
    op_signal_.push_back(observer.vcd() ? observer.vcd()->add_int(block + ".op", 16) : 0);
  }
  for (size_t r = 0; r < graph_.resources.size(); ++r) {
    sc_core::sc_spawn([this, r] { serve(static_cast<int>(r)); },
                      sc_core::sc_gen_unique_name("serve"));
  }
}

void OperationScheduler::serve(int resource) {
  for (const int id : queue_[resource]) {
    const sched::Op& op = graph_.ops[id];
    for (const int dep : op.deps) {
      while (!done_[dep]) sc_core::wait(*done_event_[dep]);
    }
    const uint64_t t0 = to_ps(sc_core::sc_time_stamp());
    sc_core::wait(timing_.dispatch_latency);
    const uint64_t t1 = to_ps(sc_core::sc_time_stamp());
    dispatch_probe_.activity(t0, t1, timing_.dispatch_pj);
    if (auto* vcd = observer_.vcd()) vcd->set(op_signal_[resource], t1, op.layer + 1);
    // Address generation runs ahead of the arrays by one address; the op is as long as the
    // slower of the two.
    const uint64_t cycle_ps = to_ps(timing_.mapper_cycle);
    const uint64_t address_ps = uint64_t(op.mvms) * timing_.mapper_cycles_per_mvm * cycle_ps;
    const uint64_t fill_ps = op.mvms > 0 ? timing_.mapper_cycles_per_mvm * cycle_ps : 0;
    if (op.mvms > 0) {
      mapper_probe_.activity(t1, t1 + fill_ps + address_ps, double(op.mvms) * timing_.mapper_pj_per_mvm, op.mvms);
    }
    sc_core::wait(ps(fill_ps + std::max(op.duration_ps, address_ps)));
    const uint64_t t2 = to_ps(sc_core::sc_time_stamp());
    probe_[resource]->activity(t1, t2, op.energy_pj);
    if (auto* vcd = observer_.vcd()) vcd->set(op_signal_[resource], t2, 0);
    done_[id] = true;
    done_event_[id]->notify(sc_core::SC_ZERO_TIME);
    ++ops_done_;
    makespan_ = std::max(makespan_, sc_core::sc_time_stamp());
  }
}

}  // namespace memgan
