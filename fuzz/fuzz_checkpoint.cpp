// fuzz_checkpoint: `memgan run --resume DIR` of a corrupted checkpoint: resume_checkpoint
// (platform/train_checkpoint.h), which reads DIR/checkpoint.json and DIR/checkpoint.bin into
// the trainer (GanTrainer::load and the load_state of engine, arrays, layers, noise source).
//
// The run is fuzz/checkpoint/tiny.yaml (a tiny network on 16x16 arrays, 4x4 images): a fresh
// trainer per input, as `memgan run --resume` builds one, from inputs built once.
//
// Input: checkpoint.bin; or "JSON", the checkpoint.json text, a NUL byte, then checkpoint.bin
// (fuzz/checkpoint_input.h). Without its own JSON an input gets the seed's (step 2).
//
// Checks: resume_checkpoint either throws InputError with a message or returns; a checkpoint
// it accepts must continue: one whole training step (the compiled program's operations) runs
// on the restored trainer without an exception, crash or sanitizer report.
//
// Guard (the one known open issue, fuzz/README.md; MEMGAN_FUZZ_NO_GUARDS=1 turns it off): no
// step is run when the restored weights or biases are not finite. Reproducer:
// fuzz/known-issues/fuzz_checkpoint-nan-conductance (accepted by resume_checkpoint although
// CrossbarArray::load_state now checks conductances; the next MVM converts NaN to int).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "core/config/loader.h"
#include "core/train/train_ops.h"
#include "fuzz/checkpoint_input.h"
#include "firmware/train_program.h"
#include "fuzz/fuzz_util.h"
#include "platform/run.h"
#include "platform/train_checkpoint.h"
#include "platform/train_inputs.h"

// libsystemc's main() calls sc_main; libFuzzer's main() runs instead, so this never does.
extern "C" int sc_main(int, char*[]) { return 0; }

namespace {

using namespace memgan;

config::LoadedConfig* loaded = nullptr;
bool guards = true;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_checkpoint: %s\n", what.c_str());
  std::abort();
}

// Whether every weight and bias of the restored layers on arrays is finite.
bool finite_parameters(const train::GanTrainer& t) {
  for (const train::Model m : {train::Model::Generator, train::Model::Discriminator}) {
    for (int l = 0; l < t.layer_count(m); ++l) {
      if (!t.on_arrays(m, l)) continue;
      for (const nn::Tensor& p : {t.weights(m, l), t.bias(m, l)})
        for (const float v : p.data)
          if (!std::isfinite(v)) return false;
    }
  }
  return true;
}

// One training step on the restored trainer: the operations the compiled program issues,
// up to STEP_END (EVAL and CHECKPOINT are the host's).
void run_one_step(const TrainInputs& in, int64_t first_step) {
  firmware::TrainSchedule s;
  s.first_step = first_step;
  s.steps = 1;
  s.eval_every = 1;
  s.eval_at_start = false;
  constexpr uint32_t kCmd = 0x100, kStatus = 0x104;
  const auto prog = firmware::compile_training(in.net, s, {kCmd, kStatus, 1, 0, 0});
  for (size_t i : firmware::trace_execution(prog.commands, 1u << 20)) {
    const auto& c = prog.commands[i];
    if (c.op != firmware::Opcode::Write32 || c.a != kCmd) continue;
    const auto op = train::decode_train_op(c.b);
    if (!op) fail("the compiled program has an undecodable operation");
    if (op->opcode == train::TrainOpcode::Eval || op->opcode == train::TrainOpcode::Checkpoint) continue;
    in.trainer->execute(*op);
    if (op->opcode == train::TrainOpcode::StepEnd) break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  guards = !(std::getenv("MEMGAN_FUZZ_NO_GUARDS") && *std::getenv("MEMGAN_FUZZ_NO_GUARDS") == '1');
  loaded = new config::LoadedConfig(config::load_config(std::string(MEMGAN_SOURCE_DIR) + "/fuzz/checkpoint/tiny.yaml",
                                                        {"train.steps=1000000"}));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256 * 1024) return -1;
  const auto& dir = fuzz::scratch_dir("checkpoint");
  fuzz::CheckpointInput::parse(std::string_view(reinterpret_cast<const char*>(data), size)).write(dir);

  TrainInputs inputs = load_train_inputs(*loaded);  // a fresh trainer, as a resumed run makes
  Progression at;
  try {
    at = resume_checkpoint(dir.string(), loaded->config, *inputs.trainer);
  } catch (const InputError& e) {
    if (std::getenv("MEMGAN_FUZZ_VERBOSE")) std::fprintf(stderr, "InputError: %s\n", e.what());
    if (std::string(e.what()).empty()) fail("InputError without a message");
    return 0;
  }
  if (std::getenv("MEMGAN_FUZZ_VERBOSE")) std::fprintf(stderr, "resumed at step %lld\n", (long long)at.step);
  if (guards && !finite_parameters(*inputs.trainer)) return 0;
  try {
    run_one_step(inputs, at.step);
  } catch (const std::exception& e) {
    fail(std::string("an accepted checkpoint does not continue: ") + e.what());
  }
  return 0;
}
