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
// on the restored trainer without an exception, crash or sanitizer report. No guards: every
// accepted checkpoint runs its step.
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

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_checkpoint: %s\n", what.c_str());
  std::abort();
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
  try {
    run_one_step(inputs, at.step);
  } catch (const std::exception& e) {
    fail(std::string("an accepted checkpoint does not continue: ") + e.what());
  }
  return 0;
}
