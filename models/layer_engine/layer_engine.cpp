#include "layer_engine/layer_engine.h"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "common/sc_time_ps.h"

namespace memgan {

using namespace layer_engine_reg;

LayerEngine::LayerEngine(sc_core::sc_module_name name, const LayerEngineParams& params, train::GanTrainer& trainer,
                         CostFunction cost, RunObserver& observer)
    : sc_module(name),
      params_(params),
      trainer_(trainer),
      cost_(std::move(cost)),
      observer_(observer),
      probe_(observer, this->name(), params.leakage_mw, true, false),
      reg_probe_(observer, std::string(this->name()) + ".regs", 0.0, false) {
  socket.register_b_transport(this, &LayerEngine::b_transport);
  for (const auto& [component, leak] : params.component_leakage_mw)
    components_[component] =
        std::make_unique<BlockProbe>(observer, std::string(this->name()) + "." + component, leak, true, false);
  if (auto* vcd = observer.vcd()) {
    const std::string base = this->name();
    // op: the opcode (train_ops.h numbering), layer: model * 256 + layer index.
    if (observer.signals().selected(base + ".op")) op_signal_ = vcd->add_int(base + ".op", 8);
    if (observer.signals().selected(base + ".layer")) layer_signal_ = vcd->add_int(base + ".layer", 16);
    if (observer.signals().selected(base + ".step")) step_signal_ = vcd->add_int(base + ".step", 32);
  }
  if (auto* tl = observer.timeline()) {
    track_ = tl->track("layer_engine", "operations");
    on_timeline_ = true;
  }
  bank_.add_ro("ID", kId, [] { return kIdValue; });
  bank_.add_ro("STATUS", kStatus, [this] { return access_ps_ < busy_until_ps_ ? kStatusBusy : 0u; });
  bank_.add_wo("CMD", kCmd, [this](uint32_t v) { return start(v); });
  bank_.add_ro("STEPS", kSteps, [this] { return static_cast<uint32_t>(trainer_.steps_done()); });
  bank_.add_ro("OPS", kOps, [this] { return static_cast<uint32_t>(ops_); });
  bank_.add_ro("DONE", kDone, [this] { return access_ps_ < busy_until_ps_ ? kStatusBusy : 0u; });
}

std::string LayerEngine::op_label(const train::TrainOp& op) const {
  if (!train::is_layer_op(op.opcode)) return train::describe(op);
  return fmt::format("{} {}.{}", train::opcode_name(op.opcode), op.model == train::Model::Generator ? "G" : "D",
                     trainer_.layer_spec(op.model, op.layer).name);
}

std::string LayerEngine::start(uint32_t word) {
  if (access_ps_ < busy_until_ps_) return "CMD written while busy (poll STATUS.BUSY first)";
  const auto op = train::decode_train_op(word);
  if (!op) return fmt::format("CMD 0x{:08x} is not a training operation (opcode, model or argument unknown)", word);
  train::OpWork work;
  try {
    work = trainer_.execute(*op);
  } catch (const std::exception& e) {
    return e.what();
  }
  const uint64_t t0 = access_ps_;
  using train::TrainOpcode;
  if (op->opcode == TrainOpcode::Eval || op->opcode == TrainOpcode::Checkpoint || op->opcode == TrainOpcode::StepEnd) {
    if (host_) host_(*op, t0);
  }
  const OpCost cost = cost_(*op, work);
  const uint64_t t1 = t0 + static_cast<uint64_t>(std::llround(cost.time_ns * 1e3));
  busy_until_ps_ = t1;
  double total = 0;
  for (const auto& [component, pj] : cost.energy_pj) {
    total += pj;
    energy_[component] += pj;
    const auto it = components_.find(component);
    if (it != components_.end() && (pj > 0 || t1 > t0)) it->second->activity(t0, t1, pj);
  }
  probe_.activity(t0, std::max(t1, t0 + 1), 0.0);
  ++ops_;
  const bool layer_op = train::is_layer_op(op->opcode);
  const std::string label = op_label(*op);
  auto& phase = phases_[layer_op ? label : train::opcode_name(op->opcode)];
  phase.time_ns += cost.time_ns;
  phase.energy_pj += total;
  ++phase.ops;
  if (auto* vcd = observer_.vcd(); vcd && t1 > t0) {
    if (op_signal_ != ~trace::SignalId{0}) {
      vcd->set(op_signal_, t0, int64_t(op->opcode));
      vcd->set(op_signal_, t1, 0);
    }
    if (layer_signal_ != ~trace::SignalId{0}) vcd->set(layer_signal_, t0, int64_t(op->model) * 256 + op->layer);
    if (step_signal_ != ~trace::SignalId{0}) vcd->set(step_signal_, t0, trainer_.steps_done());
  }
  if (on_timeline_ && t1 > t0) {
    timeline::Args args = {{"step", trainer_.steps_done()}, {"phase", std::string(train::opcode_name(op->opcode))},
                           {"model", std::string(train::model_name(op->model))},
                           {"mvms", work.arrays.logical_mvms}, {"energy_pJ", total}};
    if (layer_op) {
      args.push_back({"layer", trainer_.layer_spec(op->model, op->layer).name});
      args.push_back({"type", std::string(mapping::layer_type_name(trainer_.layer_spec(op->model, op->layer).type))});
      const auto type = trainer_.layer_spec(op->model, op->layer).type;
      if (type == mapping::LayerType::ConvTranspose2d || type == mapping::LayerType::Conv2d)
        args.push_back({"dataflow", params_.dataflow});
    }
    observer_.timeline()->complete(track_, label, t0, t1, args);
  }
  return {};
}

void LayerEngine::b_transport(tlm::tlm_generic_payload& tx, sc_core::sc_time& delay) {
  const uint64_t off = tx.get_address();
  std::string why;
  if (off < kSize) {
    const uint64_t t0 = local_ps(delay);
    delay += params_.clock_period * double(params_.register_access_cycles);
    access_ps_ = local_ps(delay);
    if (off == kDone && tx.is_read() && access_ps_ < busy_until_ps_) {
      delay += sc_core::sc_time(double(busy_until_ps_ - access_ps_), sc_core::SC_PS);
      access_ps_ = busy_until_ps_;
    }
    why = bank_.access(tx, off);
    reg_probe_.activity(t0, access_ps_, params_.register_access_pj);
  } else {
    tx.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    why = fmt::format("no register at offset 0x{:x}", off);
  }
  if (!why.empty()) observer_.fault(name(), why);
}

}  // namespace memgan
