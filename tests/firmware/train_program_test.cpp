// The training program compiler: the operations a program issues (loops expanded) follow the
// documented step order exactly, EVAL and CHECKPOINT land on the schedule's grid, and the
// image stays small because the step is written once per kind of block.
#include <algorithm>
#include <limits>

#include <gtest/gtest.h>

#include "tests/tiny_gan.h"

#include <fmt/format.h>

#include "core/mapping/network.h"
#include "spec/isa/program_image.h"
#include "firmware/train_program.h"
#include "spec/isa/cmd_decoder.h"

using namespace memgan;
using namespace memgan::firmware;

namespace {

const LayerEngineRegs kRegs{0x50000000, 0x50000004, 0x1, 0x0, 0x6};

const char* const kTiny = memgan::testing::kTinyGan;

// The same generator; a discriminator that starts with a batch norm.
const char* kTinyNorm = R"(name: tiny_norm
models:
  generator:
    input: [4]
    layers:
      - {name: fc, type: linear, in_features: 4, out_features: 8, input: [4], output: [8]}
      - {name: out, type: tanh, output: [8]}
  discriminator:
    input: [8]
    layers:
      - {name: bn, type: batchnorm, input: [8], output: [8]}
      - {name: fc, type: linear, in_features: 8, out_features: 1, input: [8], output: [1]}
)";

mapping::Network net_file(const std::string& name) {
  return mapping::load_network(std::string(MEMGAN_SOURCE_DIR) + "/configs/nets/" + name);
}

// The CMD word decoded by hand (core/train/train_ops.h's layout), so this test checks the
// encoding independently of the trainer's decoder.
std::string op_text(uint32_t w) {
  const uint32_t code = w >> 24, model = (w >> 20) & 0xF, arg = (w >> 16) & 0xF, layer = w & 0xFFFF;
  const char m = model == 0 ? 'g' : model == 1 ? 'd' : '?';
  const auto plain = [&](const char* name) {
    return layer == 0 && arg == 0 ? std::string(name) : fmt::format("{}?{:08x}", name, w);
  };
  switch (code) {
    case 0x01: return model == 0 ? plain("latent") : "latent?model";
    case 0x02: return model == 1 ? plain("load_real") : "load_real?model";
    case 0x03: {
      const char* batch = model == 1 ? (arg == 0 ? " real" : arg == 1 ? " fake" : " ?") : (arg ? " ?" : "");
      return fmt::format("fwd {}{}{}", m, layer, batch);
    }
    case 0x04: return model == 1 && layer == 0 ? fmt::format("loss {}", arg) : fmt::format("loss?{:08x}", w);
    case 0x05: return arg ? "bd?arg" : fmt::format("bd {}{}", m, layer);
    case 0x06: return arg ? "bw?arg" : fmt::format("bw {}{}", m, layer);
    case 0x07: return arg ? "upd?arg" : fmt::format("upd {}{}", m, layer);
    case 0x08: return plain("step_end");
    case 0x09: return plain("eval");
    case 0x0A: return plain("checkpoint");
  }
  return fmt::format("unknown {:08x}", w);
}

struct Expanded {
  std::vector<std::string> ops;               // every operation, in execution order
  std::vector<std::vector<std::string>> steps;  // the operations of each step
  std::vector<std::string> events;            // "E@40", "C@40": EVAL / CHECKPOINT at a step count
};

// Executes the program's control flow, checking that every operation is WRITE CMD, POLL
// STATUS done (and EXPECT STATUS error bits clear when `regs` has an error mask).
Expanded expand(const TrainProgram& p, const TrainSchedule& s, const LayerEngineRegs& regs = kRegs) {
  EXPECT_EQ(parse_image(p.image).size(), p.commands.size());
  const auto trace = trace_execution(p.commands, std::numeric_limits<size_t>::max());
  EXPECT_EQ(trace.size(), executed_length(p.commands));
  Expanded r;
  std::vector<std::string> step;
  int64_t done = s.first_step;
  for (size_t k = 0; k < trace.size(); ++k) {
    const size_t i = trace[k];
    const Command& c = p.commands[i];
    if (c.op == Opcode::Loop || c.op == Opcode::End) continue;
    if (c.op == Opcode::Write32) {
      EXPECT_EQ(c.a, regs.cmd);
      const Command& poll = p.commands.at(i + 1);
      EXPECT_EQ(poll.op, Opcode::Poll32);
      EXPECT_EQ(poll.a, regs.status);
      EXPECT_EQ(poll.b, regs.status_done_mask);
      EXPECT_EQ(poll.c, regs.status_done_value);
      if (regs.status_error_mask) {
        const Command& check = p.commands.at(i + 2);
        EXPECT_EQ(check.op, Opcode::Expect32);
        EXPECT_EQ(check.a, regs.status);
        EXPECT_EQ(check.b, regs.status_error_mask);
        EXPECT_EQ(check.c, 0u);
      }
      const std::string op = op_text(c.b);
      r.ops.push_back(op);
      if (op == "eval") {
        r.events.push_back(fmt::format("E@{}", done));
      } else if (op == "checkpoint") {
        r.events.push_back(fmt::format("C@{}", done));
      } else {
        step.push_back(op);
        if (op == "step_end") {
          r.steps.push_back(step);
          step.clear();
          ++done;
        }
      }
      continue;
    }
    EXPECT_TRUE(c.op == Opcode::Poll32 || c.op == Opcode::Expect32) << disassemble(c);
  }
  EXPECT_TRUE(step.empty()) << "operations after the last STEP_END";
  return r;
}

// The schedule as documented, written out naively.
std::vector<std::string> want_events(const TrainSchedule& s) {
  std::vector<std::string> e;
  const int64_t end = s.first_step + s.steps;
  if (s.eval_at_start && s.first_step == 0) e.push_back("E@0");
  for (int64_t t = s.first_step + 1; t <= end; ++t) {
    if (t % s.eval_every == 0 || t == end) e.push_back(fmt::format("E@{}", t));
    if ((s.checkpoint_every > 0 && t % s.checkpoint_every == 0) || t == end) e.push_back(fmt::format("C@{}", t));
  }
  return e;
}

TrainSchedule schedule(int64_t first, int64_t steps, int eval, int ckpt = 0, bool at_start = true) {
  TrainSchedule s;
  s.first_step = first;
  s.steps = steps;
  s.eval_every = eval;
  s.checkpoint_every = ckpt;
  s.eval_at_start = at_start;
  return s;
}

const std::vector<std::string> kTinyStep = {
    // discriminator step, real batch
    "latent", "fwd g0", "fwd g1", "load_real", "fwd d0 real", "fwd d1 real", "fwd d2 real", "loss 0",
    "bw d2", "bd d2", "bd d1", "bw d0",
    // fake batch
    "fwd d0 fake", "fwd d1 fake", "fwd d2 fake", "loss 1",
    "bw d2", "bd d2", "bd d1", "bw d0",
    "upd d0", "upd d2",
    // generator step
    "fwd d0 fake", "fwd d1 fake", "fwd d2 fake", "loss 2",
    "bd d2", "bd d1", "bd d0",
    "bd g1", "bw g0",
    "upd g0",
    "step_end"};

}  // namespace

TEST(TrainProgram, TinyNetworkStepIsExactlyTheDocumentedSequence) {
  const auto net = mapping::parse_network(kTiny, "tiny.yaml");
  const auto s = schedule(0, 7, 3);
  const TrainProgram p = compile_training(net, s, kRegs);
  EXPECT_EQ(p.commands_per_step, int64_t(kTinyStep.size()) * 3);
  const Expanded r = expand(p, s);
  ASSERT_EQ(r.steps.size(), 7u);
  for (const auto& step : r.steps) EXPECT_EQ(step, kTinyStep);
  EXPECT_EQ(r.events, (std::vector<std::string>{"E@0", "E@3", "E@6", "E@7", "C@7"}));
  EXPECT_EQ(r.ops.front(), "eval");
  EXPECT_EQ(r.ops.back(), "checkpoint");
}

TEST(TrainProgram, FirstLayerBatchNormKeepsItsBackwardPass) {
  const auto net = mapping::parse_network(kTinyNorm, "tiny_norm.yaml");
  const auto s = schedule(0, 2, 10);
  const Expanded r = expand(compile_training(net, s, kRegs), s);
  const std::vector<std::string> want = {
      "latent", "fwd g0", "fwd g1", "load_real", "fwd d0 real", "fwd d1 real", "loss 0",
      "bw d1", "bd d1", "bd d0",
      "fwd d0 fake", "fwd d1 fake", "loss 1",
      "bw d1", "bd d1", "bd d0",
      "upd d0", "upd d1",
      "fwd d0 fake", "fwd d1 fake", "loss 2",
      "bd d1", "bd d0",
      "bd g1", "bw g0",
      "upd g0",
      "step_end"};
  ASSERT_EQ(r.steps.size(), 2u);
  EXPECT_EQ(r.steps[0], want);
  EXPECT_EQ(r.steps[1], want);
  EXPECT_EQ(r.events, (std::vector<std::string>{"E@0", "E@2", "C@2"}));
}

TEST(TrainProgram, WithoutAnErrorMaskEachOperationIsWriteThenPoll) {
  const auto net = mapping::parse_network(kTiny, "tiny.yaml");
  LayerEngineRegs regs = kRegs;
  regs.status_error_mask = 0;
  const auto s = schedule(0, 4, 2);
  const TrainProgram p = compile_training(net, s, regs);
  EXPECT_EQ(p.commands_per_step, int64_t(kTinyStep.size()) * 2);
  for (const auto& c : p.commands) EXPECT_NE(c.op, Opcode::Expect32);
  const Expanded r = expand(p, s, regs);
  ASSERT_EQ(r.steps.size(), 4u);
  EXPECT_EQ(r.steps[3], kTinyStep);
}

TEST(TrainProgram, Dcgan28ThousandStepsInASmallImage) {
  const auto net = net_file("dcgan28.yaml");
  const auto& g = net.model("generator");
  const auto& d = net.model("discriminator");
  for (const int ckpt : {0, 250}) {
    const auto s = schedule(0, 1000, 50, ckpt);
    const TrainProgram p = compile_training(net, s, kRegs);
    EXPECT_LT(p.image.size(), 16u * 1024) << "checkpoint_every " << ckpt;
    EXPECT_LT(p.commands.size(), size_t(p.commands_per_step) + 32) << "one copy of the step";
    const Expanded r = expand(p, s);
    ASSERT_EQ(r.steps.size(), 1000u);
    EXPECT_EQ(r.events, want_events(s));
    for (const auto& step : r.steps) ASSERT_EQ(step, r.steps[0]);
  }
  // Per step: each layer forward once (G) / three times (D); weight gradients twice for D
  // (real and fake), once for G; one update per layer with parameters.
  const auto s = schedule(0, 1, 1);
  const Expanded r = expand(compile_training(net, s, kRegs), s);
  const auto& step = r.steps.at(0);
  const auto count = [&](const std::string& prefix) {
    return std::count_if(step.begin(), step.end(), [&](const std::string& o) { return o.rfind(prefix, 0) == 0; });
  };
  int64_t g_arrays = 0, d_arrays = 0, g_params = 0, d_params = 0;
  for (const auto& l : g.layers) {
    g_arrays += l.on_crossbars();
    g_params += l.on_crossbars() || l.type == mapping::LayerType::BatchNorm;
  }
  for (const auto& l : d.layers) {
    d_arrays += l.on_crossbars();
    d_params += l.on_crossbars() || l.type == mapping::LayerType::BatchNorm;
  }
  EXPECT_EQ(count("fwd g"), int64_t(g.layers.size()));
  EXPECT_EQ(count("fwd d"), 3 * int64_t(d.layers.size()));
  EXPECT_EQ(count("bw g"), g_arrays);
  EXPECT_EQ(count("bw d"), 2 * d_arrays);
  // dcgan28 starts both models with an array layer: no backward-data at layer 0 except in the
  // generator step's pass through the discriminator.
  EXPECT_EQ(count("bd g"), int64_t(g.layers.size()) - 1);
  EXPECT_EQ(count("bd d"), 3 * int64_t(d.layers.size()) - 2);
  EXPECT_EQ(count("upd g"), g_params);
  EXPECT_EQ(count("upd d"), d_params);
  EXPECT_EQ(count("loss"), 3);
  EXPECT_EQ(step.back(), "step_end");
}

TEST(TrainProgram, MlpGanEvalAndCheckpointGrid) {
  const auto net = net_file("mlp_gan.yaml");
  const auto s = schedule(0, 130, 20, 40);
  const Expanded r = expand(compile_training(net, s, kRegs), s);
  EXPECT_EQ(r.steps.size(), 130u);
  EXPECT_EQ(r.events, (std::vector<std::string>{"E@0", "E@20", "E@40", "C@40", "E@60", "E@80", "C@80", "E@100",
                                                "E@120", "C@120", "E@130", "C@130"}));
}

TEST(TrainProgram, ResumedRunCatchesUpWithTheEvalGrid) {
  const auto net = mapping::parse_network(kTiny, "tiny.yaml");
  const auto s = schedule(30, 50, 20);
  const Expanded r = expand(compile_training(net, s, kRegs), s);
  EXPECT_EQ(r.steps.size(), 50u);
  EXPECT_EQ(r.events, (std::vector<std::string>{"E@40", "E@60", "E@80", "C@80"}));
  for (const auto& step : r.steps) EXPECT_EQ(step, kTinyStep);
}

TEST(TrainProgram, EverySchedulePlacesEvalsAndCheckpointsOnTheGrid) {
  const auto net = mapping::parse_network(kTiny, "tiny.yaml");
  for (const int64_t first : {0, 1, 7, 20, 45}) {
    for (const int64_t steps : {1, 2, 5, 20, 59, 100}) {
      for (const int eval : {1, 3, 20}) {
        for (const int k : {0, 1, 2, 3}) {
          for (const bool at_start : {true, false}) {
            const auto s = schedule(first, steps, eval, k * eval, at_start);
            const std::string what =
                fmt::format("first {} steps {} eval {} checkpoint {} at_start {}", first, steps, eval, k * eval, at_start);
            const TrainProgram p = compile_training(net, s, kRegs);
            const Expanded r = expand(p, s);
            ASSERT_EQ(r.steps.size(), size_t(steps)) << what;
            ASSERT_EQ(r.events, want_events(s)) << what;
            for (const auto& step : r.steps) ASSERT_EQ(step, kTinyStep) << what;
            // At most five copies of the step: the catch-up block, the blocks before the first
            // checkpoint, the checkpoint periods, the blocks after the last, the trailing block.
            EXPECT_LE(p.commands.size(), size_t(5 * p.commands_per_step + 40)) << what;
          }
        }
      }
    }
  }
}

TEST(TrainProgram, RejectsBadInput) {
  const auto net = mapping::parse_network(kTiny, "tiny.yaml");
  const auto error = [&](const mapping::Network& n, const TrainSchedule& s, const LayerEngineRegs& regs = kRegs) {
    try {
      compile_training(n, s, regs);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error(net, schedule(0, 0, 10)), "steps 0 must be in [1, 4294967295]");
  EXPECT_EQ(error(net, schedule(-1, 10, 10)), "first step -1 must be >= 0 (and first step + steps fit 64 bits)");
  EXPECT_EQ(error(net, schedule(0, 10, 0)), "eval_every 0 must be >= 1");
  EXPECT_EQ(error(net, schedule(0, 10, 20, 30)), "checkpoint_every 30 must be 0 or a positive multiple of eval_every 20");
  EXPECT_EQ(error(net, schedule(0, 10, 20, -20)), "checkpoint_every -20 must be 0 or a positive multiple of eval_every 20");
  LayerEngineRegs bad = kRegs;
  bad.status = 0x50000006;
  EXPECT_EQ(error(net, schedule(0, 10, 5), bad),
            "layer engine registers CMD 0x50000000 and STATUS 0x50000006 must be 4-byte aligned");
  mapping::Network no_d = net;
  no_d.models.pop_back();
  EXPECT_EQ(error(no_d, schedule(0, 10, 5)), "network 'tiny' has no discriminator model");
  mapping::Network empty_g = net;
  empty_g.models[0].layers.clear();
  EXPECT_EQ(error(empty_g, schedule(0, 10, 5)), "network 'tiny': the generator has no layers");
  mapping::Network huge = net;
  huge.models[1].layers.resize(65536, huge.models[1].layers[1]);
  EXPECT_EQ(error(huge, schedule(0, 10, 5)),
            "network 'tiny': the discriminator has 65536 layers (at most 65535: the CMD word's layer field is 16 bits)");
}
