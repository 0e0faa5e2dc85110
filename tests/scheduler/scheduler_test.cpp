// The training-step operation graph and the SystemC scheduler that runs it, on a case small
// enough to schedule by hand.
#include <gtest/gtest.h>
#include <systemc>

#include "scheduler/operation_graph.h"
#include "scheduler/operation_scheduler.h"

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

TEST(OperationScheduler, PipelinesAndOverlapsAsScheduledByHand) {
  RunObserver observer(1000, nullptr);
  OperationScheduler s("sched", sched::build_training_step(tiny(), 3),
                       SchedulerTiming{sc_core::SC_ZERO_TIME, 0, sc_core::SC_ZERO_TIME, 0, 0}, observer);
  sc_core::sc_start();
  EXPECT_EQ(s.ops_done(), 21);
  // g0 fwd 0-30; g1 fwd 10-70; d0: real0 0-5, fake0 30-35, real1 35-40, fake1 50-55,
  // real2 55-60, fake2 70-75, bwd 75-87; g1 bwd 79-82, 83-86, 87-90; g0 bwd 82-89, 89-96, 96-103.
  EXPECT_EQ(s.makespan(), sc_core::sc_time(103, sc_core::SC_NS));
  // Busy time per group equals its work: the ledger saw every op.
  EXPECT_EQ(observer.ledger().events(2), 6);  // 0 dispatch, 1 dataflow_mapper, 2 generator.g0
}

TEST(OperationScheduler, DataflowMapperBoundsAnOpWithManyMvms) {
  // One op per layer and sample; g0's 100 MVMs of 1 ns addresses outlast its 10 ns of work.
  auto layers = tiny();
  layers[0].forward_mvms = 100;
  RunObserver observer(1000, nullptr);
  OperationScheduler s("sched", sched::build_training_step(layers, 1),
                       SchedulerTiming{sc_core::SC_ZERO_TIME, 0, sc_core::sc_time(1, sc_core::SC_NS), 1, 0.5},
                       observer);
  sc_core::sc_start();
  // g0.fwd 0-101 (1 fill + 100 addresses); g1.fwd 101-121; d0.fake 121-126 (real 0-5);
  // d0.bwd 126-130; g1.bwd 130-133; g0.bwd 133-140.
  EXPECT_EQ(s.makespan(), sc_core::sc_time(140, sc_core::SC_NS));
  EXPECT_DOUBLE_EQ(observer.ledger().dynamic_pj(1), 50.0);  // 100 MVMs x 0.5 pJ
}
