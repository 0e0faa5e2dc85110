#include "firmware/train_program.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "core/train/train_ops.h"
#include "firmware/program_builder.h"
#include "spec/isa/cmd_decoder.h"

namespace memgan::firmware {
namespace {

using mapping::LayerSpec;
using mapping::LayerType;
using mapping::ModelSpec;
using train::Model;
using train::TrainOp;
using train::TrainOpcode;

bool has_params(const LayerSpec& l) { return l.on_crossbars() || l.type == LayerType::BatchNorm; }

class Compiler {
 public:
  Compiler(const ModelSpec& g, const ModelSpec& d, const LayerEngineRegs& regs) : g_(g), d_(d), regs_(regs) {}

  ProgramBuilder& builder() { return pb_; }
  TrainOpcode last_op() const { return last_; }

  void op(TrainOpcode code, Model m = Model::Generator, size_t layer = 0, uint8_t arg = 0) {
    const TrainOp t{code, m, arg, static_cast<uint16_t>(layer)};
    pb_.write32(regs_.cmd, t.encode());
    pb_.poll32(regs_.status, regs_.status_done_mask, regs_.status_done_value);
    if (regs_.status_error_mask != 0) pb_.expect32(regs_.status, regs_.status_error_mask, 0);
    last_ = code;
  }

  void step() {
    // Discriminator step: real batch, then fake batch, gradients accumulated, one update.
    op(TrainOpcode::Latent, Model::Generator);
    forward(Model::Generator, g_, 0);
    op(TrainOpcode::LoadReal, Model::Discriminator);
    forward(Model::Discriminator, d_, 0);
    op(TrainOpcode::Loss, Model::Discriminator, 0, uint8_t(train::LossKind::DiscriminatorReal));
    backward(Model::Discriminator, d_);
    forward(Model::Discriminator, d_, 1);
    op(TrainOpcode::Loss, Model::Discriminator, 0, uint8_t(train::LossKind::DiscriminatorFake));
    backward(Model::Discriminator, d_);
    update(Model::Discriminator, d_);
    // Generator step through the updated discriminator, which only passes gradients back.
    forward(Model::Discriminator, d_, 1);
    op(TrainOpcode::Loss, Model::Discriminator, 0, uint8_t(train::LossKind::Generator));
    for (size_t i = d_.layers.size(); i-- > 0;) op(TrainOpcode::BackwardData, Model::Discriminator, i);
    backward(Model::Generator, g_);
    update(Model::Generator, g_);
    op(TrainOpcode::StepEnd);
  }

  // `n` steps (one copy of the step in a LOOP), then EVAL.
  void block(uint32_t n) {
    const size_t start = pb_.here();
    step();
    repeat(start, n);
    op(TrainOpcode::Eval);
  }

  // Runs what was emitted since `start` `count` times in all.
  void repeat(size_t start, uint64_t count) {
    if (count > 1) pb_.loop(static_cast<uint32_t>(start), static_cast<uint32_t>(count));
  }

 private:
  void forward(Model m, const ModelSpec& spec, uint8_t arg) {
    for (size_t i = 0; i < spec.layers.size(); ++i) op(TrainOpcode::Forward, m, i, arg);
  }
  // The first layer's input gradient is not needed; a batch norm there still needs its pass.
  void backward(Model m, const ModelSpec& spec) {
    for (size_t i = spec.layers.size(); i-- > 0;) {
      const LayerSpec& l = spec.layers[i];
      if (l.on_crossbars()) op(TrainOpcode::BackwardWeight, m, i);
      if (i > 0 || l.type == LayerType::BatchNorm) op(TrainOpcode::BackwardData, m, i);
    }
  }
  void update(Model m, const ModelSpec& spec) {
    for (size_t i = 0; i < spec.layers.size(); ++i) {
      if (has_params(spec.layers[i])) op(TrainOpcode::Update, m, i);
    }
  }

  const ModelSpec& g_;
  const ModelSpec& d_;
  const LayerEngineRegs& regs_;
  ProgramBuilder pb_;
  TrainOpcode last_ = TrainOpcode::Latent;
};

const ModelSpec& model_of(const mapping::Network& net, const char* name) {
  const ModelSpec* m = nullptr;
  try {
    m = &net.model(name);
  } catch (const std::out_of_range&) {
    throw std::invalid_argument(fmt::format("network '{}' has no {} model", net.name, name));
  }
  if (m->layers.empty()) throw std::invalid_argument(fmt::format("network '{}': the {} has no layers", net.name, name));
  if (m->layers.size() > 0xFFFF) {
    throw std::invalid_argument(fmt::format("network '{}': the {} has {} layers (at most 65535: the CMD word's layer "
                                            "field is 16 bits)",
                                            net.name, name, m->layers.size()));
  }
  return *m;
}

void check_schedule(const TrainSchedule& s, const LayerEngineRegs& regs) {
  if (s.steps < 1 || s.steps > int64_t(std::numeric_limits<uint32_t>::max())) {
    throw std::invalid_argument(
        fmt::format("steps {} must be in [1, {}]", s.steps, std::numeric_limits<uint32_t>::max()));
  }
  if (s.first_step < 0 || s.first_step > std::numeric_limits<int64_t>::max() - s.steps) {
    throw std::invalid_argument(
        fmt::format("first step {} must be >= 0 (and first step + steps fit 64 bits)", s.first_step));
  }
  if (s.eval_every < 1) throw std::invalid_argument(fmt::format("eval_every {} must be >= 1", s.eval_every));
  if (s.checkpoint_every < 0 || s.checkpoint_every % s.eval_every != 0) {
    throw std::invalid_argument(fmt::format("checkpoint_every {} must be 0 or a positive multiple of eval_every {}",
                                            s.checkpoint_every, s.eval_every));
  }
  if (regs.cmd % 4 != 0 || regs.status % 4 != 0) {
    throw std::invalid_argument(fmt::format("layer engine registers CMD 0x{:08x} and STATUS 0x{:08x} must be 4-byte "
                                            "aligned",
                                            regs.cmd, regs.status));
  }
}

}  // namespace

TrainProgram compile_training(const mapping::Network& net, const TrainSchedule& s, const LayerEngineRegs& regs) {
  check_schedule(s, regs);
  const ModelSpec& g = model_of(net, "generator");
  const ModelSpec& d = model_of(net, "discriminator");
  Compiler c(g, d, regs);
  ProgramBuilder& pb = c.builder();

  const int64_t every = s.eval_every, end = s.first_step + s.steps;
  int64_t pos = s.first_step;
  if (s.eval_at_start && pos == 0) c.op(TrainOpcode::Eval);

  // A resumed run first catches up with the eval grid.
  if (pos % every != 0) {
    const int64_t n = std::min(end, (pos / every + 1) * every) - pos;
    c.block(static_cast<uint32_t>(n));
    pos += n;
    if (s.checkpoint_every > 0 && pos % s.checkpoint_every == 0) c.op(TrainOpcode::Checkpoint);
  }

  // Whole blocks end at m * every for m in (m0, m0 + full]; the ones at multiples of k blocks
  // checkpoint. Layout: [block x h, CHECKPOINT] [[block x k, CHECKPOINT] x periods] [block x tail].
  const int64_t full = (end - pos) / every;
  if (full > 0) {
    const int64_t m0 = pos / every, m_last = m0 + full;
    const int64_t k = s.checkpoint_every / every;
    const int64_t first_ck = k > 0 ? (m0 / k + 1) * k : 0;
    if (k == 0 || first_ck > m_last) {
      const size_t start = pb.here();
      c.block(uint32_t(every));
      c.repeat(start, uint64_t(full));
    } else {
      const int64_t last_ck = m_last / k * k;
      int64_t periods = (last_ck - first_ck) / k;
      if (first_ck - m0 == k) {
        ++periods;  // the head is a whole period
      } else {
        const size_t start = pb.here();
        c.block(uint32_t(every));
        c.repeat(start, uint64_t(first_ck - m0));
        c.op(TrainOpcode::Checkpoint);
      }
      if (periods > 0) {
        const size_t start = pb.here();
        c.block(uint32_t(every));
        c.repeat(start, uint64_t(k));
        c.op(TrainOpcode::Checkpoint);
        c.repeat(start, uint64_t(periods));
      }
      if (m_last > last_ck) {
        const size_t start = pb.here();
        c.block(uint32_t(every));
        c.repeat(start, uint64_t(m_last - last_ck));
      }
    }
    pos += full * every;
  }
  if (pos < end) c.block(static_cast<uint32_t>(end - pos));
  if (c.last_op() != TrainOpcode::Checkpoint) c.op(TrainOpcode::Checkpoint);
  pb.end();

  TrainProgram out;
  validate_program(pb.commands(), kImageVersion);  // a compiler bug, not bad input
  out.image = pb.image();
  out.commands = pb.commands();
  Compiler one(g, d, regs);
  one.step();
  out.commands_per_step = int64_t(one.builder().here());
  return out;
}

}  // namespace memgan::firmware
