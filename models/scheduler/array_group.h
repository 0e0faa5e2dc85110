// One array group as the operation scheduler sees it: the arrays that hold one layer, behind a
// small register file on the scheduler's bus. A CMD write starts one of the group's operations
// (an index into the training step's operation table, the layer program the mapping gave the
// group); the group is then busy for the operation's time, which its dataflow-mapper share
// bounds from below (mvms x cycles per address, plus one address of pipeline fill).
//
// Registers (offsets from the group's base):
//   0x00 ID RO "MGAG" | 0x04 STATUS RO bit0 BUSY | 0x08 CMD WO: operation index to start
//   0x0C DONE RO: as STATUS, but a read while busy stalls until the operation completes
//   0x10 OPS RO operations completed
// A CMD while busy, or naming an operation of another group or none, is a TLM error with the
// reason (the scheduler stops with it).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>

#include "models/base/peripheral.h"
#include "core/observe/observer.h"
#include "models/scheduler/operation_graph.h"
#include "spec/regs/array_group.h"

namespace memgan {

struct ArrayGroupParams {
  sc_core::sc_time clock_period;
  int register_access_cycles = 1;
  double register_access_pj = 0;
  int mapper_cycles_per_mvm = 1;
  double mapper_pj_per_mvm = 0;
};

class ArrayGroup : public Peripheral {
 public:

  // `ops`: the whole training step's operations; this group runs those whose resource is
  // `resource`. `trace_name`: the group's name in the trace and power log. `mapper`: the
  // dataflow mapper's probe (one unit, shared by the groups).
  ArrayGroup(sc_core::sc_module_name name, const std::vector<sched::Op>& ops, int resource,
             const ArrayGroupParams& params, RunObserver& observer, const std::string& trace_name,
             BlockProbe& mapper, std::shared_ptr<const trace::EnumLabels> layer_labels = nullptr);

  int64_t ops_done() const { return ops_done_; }

 private:
  std::string start(uint32_t op_index);

  const std::vector<sched::Op>& ops_;
  int resource_;
  ArrayGroupParams params_;
  BlockProbe probe_;
  BlockProbe& mapper_;
  trace::SignalId op_signal_ = ~trace::SignalId{0};
  Register id_{*this, array_group_reg::ID}, status_{*this, array_group_reg::STATUS}, cmd_{*this, array_group_reg::CMD},
      done_{*this, array_group_reg::DONE}, ops_reg_{*this, array_group_reg::OPS};
  int64_t ops_done_ = 0;
};

}  // namespace memgan
