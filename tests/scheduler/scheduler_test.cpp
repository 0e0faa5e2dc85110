// The training-step operation graph and the SystemC scheduler that runs it, on a case small
// enough to schedule by hand.
#include <gtest/gtest.h>
#include <systemc>

#include "models/scheduler/operation_graph.h"
#include "models/scheduler/operation_scheduler.h"

using namespace memgan;

namespace {

// G: g0 (fwd 10 ns, bwd 7 ns), g1 (20, 3); D: d0 (5, 4).
std::vector<sched::LayerTiming> tiny() {
  return {{"generator", "g0", 10, 7, 1, 2, 0, 0}, {"generator", "g1", 20, 3, 1, 2, 0, 0},
          {"discriminator", "d0", 5, 4, 1, 2, 0, 0}};
}

int find(const sched::OperationGraph& g, const std::string& name) {
  for (size_t i = 0; i < g.ops.size(); ++i) {
    if (g.ops[i].name == name) return int(i);
  }
  ADD_FAILURE() << "no op " << name;
  return -1;
}

}  // namespace

TEST(OperationGraph, HasEveryOpWithItsDependencies) {
  const auto g = sched::build_training_step(tiny(), 3);
  // Per sample: 2 G layers x (fwd, bwd) + 1 D layer x (real, fake, bwd).
  EXPECT_EQ(g.ops.size(), 3u * (2 * 2 + 3));
  EXPECT_EQ(g.resources, (std::vector<std::string>{"generator.g0", "generator.g1", "discriminator.d0"}));
  EXPECT_EQ(g.serial_ps, 162000u);
  const auto deps = [&](const std::string& n) { return g.ops[find(g, n)].deps; };
  EXPECT_TRUE(deps("generator.g0.fwd[1]").empty());
  EXPECT_EQ(deps("generator.g1.fwd[2]"), std::vector<int>{find(g, "generator.g0.fwd[2]")});
  EXPECT_EQ(deps("discriminator.d0.fake[1]"), std::vector<int>{find(g, "generator.g1.fwd[1]")});
  EXPECT_TRUE(deps("discriminator.d0.real[1]").empty()) << "reals do not wait for the generator";
  EXPECT_EQ(deps("discriminator.d0.bwd[0]"),
            (std::vector<int>{find(g, "discriminator.d0.fake[0]"), find(g, "discriminator.d0.real[0]")}));
  EXPECT_EQ(deps("generator.g1.bwd[2]"), std::vector<int>{find(g, "discriminator.d0.bwd[2]")});
  EXPECT_EQ(deps("generator.g0.bwd[2]"), std::vector<int>{find(g, "generator.g1.bwd[2]")});
  EXPECT_THROW(sched::build_training_step({{"generator", "g", 1, 1, 0, 0, 0, 0}}, 1), std::invalid_argument);
}

// A bus and registers that take no time, so the schedule is the ops' own.
SchedulerParams untimed() {
  return {InterconnectParams{sc_core::SC_ZERO_TIME, 4, 0, 0.0}, 0.0,
          ArrayGroupParams{sc_core::SC_ZERO_TIME, 0, 0.0, 0, 0.0}};
}

TEST(OperationScheduler, PipelinesAndOverlapsAsScheduledByHand) {
  RunObserver observer(1000, nullptr);
  OperationScheduler s("sched", sched::build_training_step(tiny(), 3), untimed(), observer);
  sc_core::sc_start();
  EXPECT_TRUE(s.error().empty()) << s.error();
  EXPECT_EQ(s.ops_done(), 21);
  // g0 fwd 0-30; g1 fwd 10-70; d0: real0 0-5, fake0 30-35, real1 35-40, fake1 50-55,
  // real2 55-60, fake2 70-75, bwd 75-87; g1 bwd 79-82, 83-86, 87-90; g0 bwd 82-89, 89-96, 96-103.
  EXPECT_EQ(s.makespan(), sc_core::sc_time(103, sc_core::SC_NS));
  // Every op was dispatched over the bus: a CMD write and a DONE read each.
  EXPECT_EQ(s.bus().transactions(), 2 * 21);
  // Busy time per group equals its work: the ledger saw every op (components in creation
  // order: 0 dataflow_mapper, 1 bus, 2 generator.g0, 3 its registers).
  EXPECT_EQ(observer.ledger().events(2), 6);
}

// Real bus and register timing: each op waits for its CMD to cross the bus (2 latency clocks,
// then the beat and the 1 register clock overlap: 3 ns) and its DONE read to be decoded (the
// same again) before the next.
TEST(OperationScheduler, DispatchCrossesTheBus) {
  RunObserver observer(1000, nullptr);
  const sc_core::sc_time clk(1, sc_core::SC_NS);
  SchedulerParams t{InterconnectParams{clk, 4, 2, 0.5}, 0.0, ArrayGroupParams{clk, 1, 0.25, 0, 0.0}};
  OperationScheduler s("sched", sched::build_training_step({{"generator", "g0", 10, 7, 1, 2, 0, 0},
                                                            {"discriminator", "d0", 5, 4, 1, 2, 0, 0}},
                                                           1),
                       t, observer);
  sc_core::sc_start();
  EXPECT_TRUE(s.error().empty()) << s.error();
  // g0.fwd: CMD 3 ns to start, runs 10 ns, done at 13 (the DONE read, issued at 3 + 3, stalls
  // until then). d0.real in parallel from 3 to 8. d0.fake: CMD 13-16, runs 5 -> 21. d0.bwd:
  // 21-24 dispatch, 4 -> 28. g0.bwd: 28-31, 7 -> 38.
  EXPECT_EQ(s.makespan(), sc_core::sc_time(38, sc_core::SC_NS));
  EXPECT_EQ(s.bus().transactions(), 2 * 5);
  EXPECT_DOUBLE_EQ(observer.ledger().dynamic_pj(1), 2 * 5 * 4 * 0.5);  // bus: 4 bytes each
}

TEST(OperationScheduler, DataflowMapperBoundsAnOpWithManyMvms) {
  // One op per layer and sample; g0's 100 MVMs of 1 ns addresses outlast its 10 ns of work.
  auto layers = tiny();
  layers[0].forward_mvms = 100;
  RunObserver observer(1000, nullptr);
  SchedulerParams t = untimed();
  t.groups.clock_period = sc_core::sc_time(1, sc_core::SC_NS);
  t.groups.mapper_cycles_per_mvm = 1;
  t.groups.mapper_pj_per_mvm = 0.5;
  OperationScheduler s("sched", sched::build_training_step(layers, 1), t, observer);
  sc_core::sc_start();
  // g0.fwd 0-101 (1 fill + 100 addresses); g1.fwd 101-121; d0.fake 121-126 (real 0-5);
  // d0.bwd 126-130; g1.bwd 130-133; g0.bwd 133-140.
  EXPECT_EQ(s.makespan(), sc_core::sc_time(140, sc_core::SC_NS));
  EXPECT_DOUBLE_EQ(observer.ledger().dynamic_pj(0), 50.0);  // dataflow_mapper: 100 MVMs x 0.5 pJ
}
