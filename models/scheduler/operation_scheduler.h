// Operation scheduler: dispatches the ops of an OperationGraph over a bus to the array groups
// that hold their layers, each op as soon as its dependencies are done and its group is free,
// and traces each group's busy state and the op it runs (the layer index + 1; 0 = idle).
//
//   scheduler (initiator) --> bus (Interconnect) --> one ArrayGroup per layer (registers at
//                                                    group_base(g): CMD, DONE, ...)
//
// One SC_THREAD per group walks that group's ops in program order: wait for the deps' done
// events, write the op's index to the group's CMD register over the bus (bus latency and energy,
// register access), then read DONE, which stalls until the group finished (the group's time is
// the op's, bounded below by the dataflow mapper's address generation). So consecutive layers
// pipeline across the samples of a batch, and independent work (the discriminator on real images
// while the generator still runs) overlaps.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "models/bus/interconnect.h"
#include "core/observe/observer.h"
#include "models/scheduler/array_group.h"
#include "models/scheduler/operation_graph.h"

namespace memgan {

struct SchedulerParams {
  InterconnectParams bus;  // the scheduler's command bus
  double bus_leakage_mw = 0;
  // ZARA's dataflow mapper as a control unit: it generates the array and input-buffer
  // addresses of every MVM at run time, pipelined with the arrays: an op takes at least
  // mvms x cycles_per_mvm clocks, plus one address of pipeline fill.
  ArrayGroupParams groups;
};

class OperationScheduler : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<OperationScheduler> master{"master"};

  OperationScheduler(sc_core::sc_module_name name, sched::OperationGraph graph, const SchedulerParams& timing,
                     RunObserver& observer);

  static uint64_t group_base(int group) { return uint64_t(group) * array_group_reg::kSize; }

  // Valid after the simulation ran: the time the last op finished.
  sc_core::sc_time makespan() const { return makespan_; }
  int64_t ops_done() const { return ops_done_; }
  const sched::OperationGraph& graph() const { return graph_; }
  const Interconnect& bus() const { return *bus_; }
  // The first error a group answered (empty when none); the scheduler stops dispatching then.
  const std::string& error() const { return error_; }

 private:
  void serve(int resource);
  bool access(tlm::tlm_command cmd, uint64_t addr, uint32_t& value);

  sched::OperationGraph graph_;
  RunObserver& observer_;
  BlockProbe mapper_probe_;
  std::unique_ptr<Interconnect> bus_;
  std::vector<std::unique_ptr<ArrayGroup>> groups_;
  std::vector<std::vector<int>> queue_;   // per resource: its ops in program order
  std::vector<bool> done_;
  std::vector<std::unique_ptr<sc_core::sc_event>> done_event_;
  sc_core::sc_time makespan_;
  int64_t ops_done_ = 0;
  std::string error_;
};

}  // namespace memgan
