// train.mode timing: the closed-form executor against the analog trainer running the same
// compiled training program on the same network. Every count that does not depend on data
// (array reads, conversions, shift-and-add, digital-unit operations, bytes) must be equal,
// operation by operation, for each dataflow; pulses equal under the Manhattan rule and close
// to Adam's expectation on the first step; checkpoints round-trip and refuse the trainer's.
#include <cmath>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/mapping/mapper.h"
#include "core/mapping/network.h"
#include "core/train/gan_trainer.h"
#include "core/train/timing_executor.h"
#include "firmware/train_program.h"

namespace {

using namespace memgan;
using train::OpWork;

constexpr uint32_t kCmd = 0x100, kDone = 0x104;

std::vector<train::TrainOp> program_ops(const mapping::Network& net, int64_t steps) {
  firmware::TrainSchedule s;
  s.steps = steps;
  s.eval_every = 1;
  s.eval_at_start = false;
  const auto prog = firmware::compile_training(net, s, {kCmd, kDone, 1, 0, 0});
  std::vector<train::TrainOp> ops;
  for (size_t i : firmware::trace_execution(prog.commands, 1u << 24)) {
    const auto& c = prog.commands[i];
    if (c.op == firmware::Opcode::Write32 && c.a == kCmd) ops.push_back(*train::decode_train_op(c.b));
  }
  return ops;
}

std::vector<float> ramp_images(int count, int size) {
  std::vector<float> v(std::size_t(count) * size);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = float(std::sin(0.7 * double(i)));
  return v;
}

struct Chip {
  xbar::ArrayGeometry geometry{128, 128};
  xbar::ConverterParams converters;
  xbar::DeviceParams device;
  Chip() {
    converters.cell_bits = 4;
    converters.weight_bits = 5;
    converters.dac_bits = 2;
    device.levels = 16;
    device.pulse.pulses_full_range = 256;
  }
  nn::ArrayShape shape() const {
    mapping::ArchSpec a;
    a.cell_bits = converters.cell_bits;
    a.weight_bits = converters.weight_bits;
    a.dac_bits = converters.dac_bits;
    return mapping::array_shape(a);
  }
};

// The structural fields, named, so a mismatch says which.
std::map<std::string, int64_t> structural(const OpWork& w) {
  const nn::MvmCounts& c = w.arrays;
  return {{"logical_mvms", c.logical_mvms},       {"array_reads", c.array_reads},
          {"dac_conversions", c.dac_conversions}, {"adc_conversions", c.adc_conversions},
          {"inputs_applied", c.inputs_applied},   {"outputs", c.outputs},
          {"partial_sum_adds", c.partial_sum_adds}, {"overlap_adds", c.overlap_adds},
          {"bias_adds", c.bias_adds},             {"outputs_discarded", c.outputs_discarded},
          {"weights_programmed", c.weights_programmed}, {"arrays_used", c.arrays_used},
          {"parallel_arrays", w.parallel_arrays}, {"digital_ops", w.digital_ops},
          {"digital_macs", w.digital_macs},       {"dram_bytes", w.dram_bytes},
          {"noise_samples", w.noise_samples}};
}

struct Case {
  mapping::Dataflow dataflow;
  train::Optimizer optimizer;
};

class TimingVsAnalog : public ::testing::TestWithParam<Case> {};

TEST_P(TimingVsAnalog, EveryDataIndependentCountIsEqualOperationByOperation) {
  const auto net = mapping::load_network(std::string(MEMGAN_SOURCE_DIR) + "/configs/nets/dcgan28-small.yaml");
  const Chip chip;
  train::TrainerSettings s;
  s.batch = 2;
  s.dataflow = GetParam().dataflow;
  s.optimizer = GetParam().optimizer;
  s.lr_generator = s.lr_discriminator = 2e-3f;
  s.device_latent = false;
  s.eval_samples = s.score_samples = 2;
  train::GanTrainer analog(net, s, ramp_images(4, 28 * 28), 4, chip.geometry, chip.converters, chip.device, {});

  train::TimingSettings ts;
  ts.dataflow = s.dataflow;
  ts.batch = s.batch;
  ts.arrays = chip.shape();
  ts.adam = s.optimizer == train::Optimizer::Adam;
  ts.manhattan = s.optimizer == train::Optimizer::Manhattan;
  const double adam_pulses =
      train::adam_pulses_per_weight(s.lr_generator, s.weight_range, chip.geometry, chip.converters, chip.device);
  ts.pulses_per_weight[0] = ts.pulses_per_weight[1] = ts.manhattan ? 1.0 : adam_pulses;
  train::TimingExecutor timing(net, ts);

  EXPECT_EQ(timing.totals().arrays_used, analog.totals().arrays_used);
  EXPECT_EQ(timing.totals().weights_programmed, analog.totals().weights_programmed);
  for (const train::Model m : {train::Model::Generator, train::Model::Discriminator})
    for (int l = 0; l < analog.layer_count(m); ++l) {
      EXPECT_EQ(timing.on_arrays(m, l), analog.on_arrays(m, l));
      EXPECT_EQ(timing.weight_count(m, l), analog.weight_count(m, l));
    }

  int64_t pulses_analog = 0, pulses_timing = 0, updates = 0;
  for (const train::TrainOp& op : program_ops(net, 1)) {
    const OpWork a = analog.execute(op), t = timing.execute(op);
    const std::string what = train::describe(op);
    const auto sa = structural(a), st = structural(t);
    for (const auto& [field, value] : sa) EXPECT_EQ(st.at(field), value) << what << ": " << field;
    if (op.opcode == train::TrainOpcode::Update && analog.on_arrays(op.model, op.layer)) {
      ++updates;
      pulses_analog += a.arrays.write_pulses;
      pulses_timing += t.arrays.write_pulses;
      if (ts.manhattan) {
        EXPECT_EQ(t.arrays.write_pulses, a.arrays.write_pulses) << what;
        EXPECT_EQ(t.arrays.cells_written, a.arrays.cells_written) << what;
      }
    }
  }
  EXPECT_EQ(timing.steps_done(), analog.steps_done());
  EXPECT_EQ(updates, 6);  // the crossbar layers of both models
  ASSERT_GT(pulses_analog, 0);
  // Adam's first step: lr per weight, stochastically rounded pulses (E[n] = lr / step); over
  // ~170k weights the sum lands within a percent of its expectation.
  EXPECT_NEAR(double(pulses_timing) / double(pulses_analog), 1.0, 0.01);
}

INSTANTIATE_TEST_SUITE_P(
    Dataflows, TimingVsAnalog,
    ::testing::Values(Case{mapping::Dataflow::ZeroInsertion, train::Optimizer::Adam},
                      Case{mapping::Dataflow::ZeroFree, train::Optimizer::Adam},
                      Case{mapping::Dataflow::PixelWise, train::Optimizer::Adam},
                      Case{mapping::Dataflow::PixelWise, train::Optimizer::Manhattan},
                      Case{mapping::Dataflow::ZeroFree, train::Optimizer::Manhattan}),
    [](const ::testing::TestParamInfo<Case>& param_info) {
      return fmt::format("{}_{}", mapping::dataflow_name(param_info.param.dataflow),
                         train::optimizer_name(param_info.param.optimizer));
    });

TEST(TimingExecutor, CheckpointRoundTripsAndRefusesAnotherNetworkOrTheTrainers) {
  const auto net = mapping::load_network(std::string(MEMGAN_SOURCE_DIR) + "/configs/nets/dcgan28-small.yaml");
  train::TimingSettings ts;
  ts.batch = 4;
  ts.arrays = Chip().shape();
  train::TimingExecutor a(net, ts);
  for (const auto& op : program_ops(net, 3)) a.execute(op);
  std::stringstream saved;
  a.save(saved);
  train::TimingExecutor b(net, ts);
  b.load(saved);
  EXPECT_EQ(b.steps_done(), 3);
  EXPECT_EQ(b.totals().array_reads, a.totals().array_reads);

  ts.batch = 8;
  train::TimingExecutor other(net, ts);
  std::istringstream again(saved.str());
  try {
    other.load(again);
    FAIL() << "a checkpoint of batch 4 was accepted at batch 8";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("another network or batch (4 where this run has 8)"), std::string::npos)
        << e.what();
  }
  std::istringstream garbage(std::string(64, 'x'));
  EXPECT_THROW(other.load(garbage), std::runtime_error);
}

TEST(TimingExecutor, RefusesANetworkTheTrainerRefusesAndLayersThatDoNotExist) {
  auto net = mapping::load_network(std::string(MEMGAN_SOURCE_DIR) + "/configs/nets/dcgan28-small.yaml");
  train::TimingSettings ts;
  ts.arrays = Chip().shape();
  train::TimingExecutor ok(net, ts);
  EXPECT_THROW(ok.execute({train::TrainOpcode::Forward, train::Model::Generator, 0, 99}), std::invalid_argument);
  EXPECT_THROW(ok.execute({train::TrainOpcode::BackwardWeight, train::Model::Generator, 0, 3}), std::logic_error);
  ts.pulses_per_weight[1] = -1;
  EXPECT_THROW(train::TimingExecutor(net, ts), std::invalid_argument);
  ts.pulses_per_weight[1] = 1;
  net.models[0].input = {4, 8};
  EXPECT_THROW(train::TimingExecutor(net, ts), std::invalid_argument);
}

}  // namespace
