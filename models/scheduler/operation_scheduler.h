// Operation scheduler: dispatches the ops of an OperationGraph to the array groups that hold
// their layers, each op as soon as its dependencies are done and its arrays are free, and
// traces each group's busy state and the op it runs (the layer index + 1; 0 = idle).
//
// One SC_THREAD per resource walks that resource's ops in program order: wait for the deps'
// done events, dispatch (a command write over the bus to the tile that holds the group:
// latency and energy of one bus transfer), have the dataflow mapper unit generate its
// addresses, run for the op's duration, signal done. So
// consecutive layers pipeline across the samples of a batch, and independent work (the
// discriminator on real images while the generator still runs) overlaps.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <systemc>

#include "observe/observer.h"
#include "scheduler/operation_graph.h"

namespace memgan {

struct SchedulerTiming {
  sc_core::sc_time dispatch_latency;  // one command transfer to a tile
  double dispatch_pj = 0;
  // ZARA's dataflow mapper as a control unit: it generates the array and input-buffer
  // addresses of every MVM at run time, pipelined with the arrays: an op takes at least
  // mvms x cycles_per_mvm clocks, plus one address of pipeline fill.
  sc_core::sc_time mapper_cycle;
  int mapper_cycles_per_mvm = 1;
  double mapper_pj_per_mvm = 0;
};

class OperationScheduler : public sc_core::sc_module {
 public:
  OperationScheduler(sc_core::sc_module_name name, sched::OperationGraph graph, const SchedulerTiming& timing,
                     RunObserver& observer);

  // Valid after the simulation ran: the time the last op finished.
  sc_core::sc_time makespan() const { return makespan_; }
  int64_t ops_done() const { return ops_done_; }
  const sched::OperationGraph& graph() const { return graph_; }

 private:
  void serve(int resource);

  sched::OperationGraph graph_;
  SchedulerTiming timing_;
  RunObserver& observer_;
  std::vector<std::vector<int>> queue_;   // per resource: its ops in program order
  std::vector<bool> done_;
  std::vector<std::unique_ptr<sc_core::sc_event>> done_event_;
  std::vector<std::unique_ptr<BlockProbe>> probe_;
  std::vector<trace::SignalId> op_signal_;
  BlockProbe dispatch_probe_, mapper_probe_;
  sc_core::sc_time makespan_;
  int64_t ops_done_ = 0;
};

}  // namespace memgan
