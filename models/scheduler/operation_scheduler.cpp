#include "models/scheduler/operation_scheduler.h"

#include <fmt/format.h>

#include "models/base/sc_time_ps.h"

namespace memgan {

namespace {
// "generator.up1" -> "generator_up1": SystemC names have no dots.
std::string module_name(std::string resource) {
  for (char& c : resource)
    if (c == '.') c = '_';
  return resource;
}
}  // namespace

OperationScheduler::OperationScheduler(sc_core::sc_module_name name, sched::OperationGraph graph,
                                       const SchedulerParams& timing, RunObserver& observer)
    : sc_module(name),
      graph_(std::move(graph)),
      observer_(observer),
      mapper_probe_(observer, std::string(this->name()) + ".dataflow_mapper", 0.0),
      queue_(graph_.resources.size()),
      done_(graph_.ops.size(), false) {
  bus_ = std::make_unique<Interconnect>("bus", timing.bus, observer, timing.bus_leakage_mw);
  master.bind(bus_->initiators);
  for (size_t i = 0; i < graph_.ops.size(); ++i) {
    queue_[graph_.ops[i].resource].push_back(static_cast<int>(i));
    done_event_.push_back(std::make_unique<sc_core::sc_event>());
  }
  // The groups' op signal shows the layer it runs (op.layer + 1), named in FST traces.
  auto labels = std::make_shared<trace::EnumLabels>();
  labels->name = std::string(basename()) + "_layer";
  labels->values.push_back({0, "idle"});
  for (size_t r = 0; r < graph_.resources.size(); ++r) labels->values.push_back({r + 1, module_name(graph_.resources[r])});
  for (size_t r = 0; r < graph_.resources.size(); ++r) {
    const std::string& res = graph_.resources[r];
    groups_.push_back(std::make_unique<ArrayGroup>(module_name(res).c_str(), graph_.ops, int(r), timing.groups,
                                                   observer, std::string(this->name()) + "." + res, mapper_probe_,
                                                   labels));
    bus_->targets.bind(groups_.back()->socket);
    bus_->map(res, group_base(int(r)), array_group_reg::kSize, int(r));
  }
  for (size_t r = 0; r < graph_.resources.size(); ++r) {
    sc_core::sc_spawn([this, r] { serve(static_cast<int>(r)); }, sc_core::sc_gen_unique_name("serve"));
  }
}

// One register access over the bus, synchronised (each group's thread waits for its own
// transfers: they are short, and the groups' threads interleave at those points).
bool OperationScheduler::access(tlm::tlm_command cmd, uint64_t addr, uint32_t& value) {
  tlm::tlm_generic_payload tx;
  tx.set_command(cmd);
  tx.set_address(addr);
  tx.set_data_ptr(reinterpret_cast<unsigned char*>(&value));
  tx.set_data_length(4);
  tx.set_streaming_width(4);
  tx.set_byte_enable_ptr(nullptr);
  tx.set_dmi_allowed(false);
  tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  master->b_transport(tx, delay);
  sc_core::wait(delay);
  if (tx.is_response_ok()) return true;
  if (error_.empty())
    error_ = fmt::format("{}: {} 0x{:x}: {}", name(), cmd == tlm::TLM_WRITE_COMMAND ? "write" : "read", addr,
                         observer_.last_fault().empty() ? tx.get_response_string() : observer_.last_fault());
  return false;
}

void OperationScheduler::serve(int resource) {
  for (const int id : queue_[resource]) {
    for (const int dep : graph_.ops[id].deps) {
      while (!done_[dep]) sc_core::wait(*done_event_[dep]);
    }
    if (!error_.empty()) return;
    uint32_t word = static_cast<uint32_t>(id);
    if (!access(tlm::TLM_WRITE_COMMAND, group_base(resource) + array_group_reg::kCmd, word)) return;
    if (!access(tlm::TLM_READ_COMMAND, group_base(resource) + array_group_reg::kDone, word)) return;
    done_[id] = true;
    done_event_[id]->notify(sc_core::SC_ZERO_TIME);
    ++ops_done_;
    makespan_ = std::max(makespan_, sc_core::sc_time_stamp());
  }
}

}  // namespace memgan
