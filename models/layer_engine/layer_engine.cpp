#include "models/layer_engine/layer_engine.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

#include "models/base/sc_time_ps.h"

namespace memgan {

using namespace layer_engine_reg;

LayerEngine::LayerEngine(sc_core::sc_module_name name, const LayerEngineParams& params, train::GanTrainer& trainer,
                         CostFunction cost, RunObserver& observer)
    : Peripheral(name, {params.clock_period, params.register_access_cycles, params.register_access_pj}, kSize,
                 observer),
      params_(params),
      trainer_(trainer),
      cost_(std::move(cost)),
      probe_(observer, this->name(), params.leakage_mw, true, false) {
  SC_HAS_PROCESS(LayerEngine);
  SC_THREAD(rtl_address_thread);
  for (const auto& [component, leak] : params.component_leakage_mw)
    components_[component] =
        std::make_unique<BlockProbe>(observer, std::string(this->name()) + "." + component, leak, true, false);
  if (auto* vcd = observer.vcd()) {
    const std::string base = this->name();
    // op: the opcode (train_ops.h numbering), layer: model * 256 + layer index.
    if (observer.signals().selected(base + ".op")) {
      auto labels = std::make_shared<trace::EnumLabels>();
      labels->name = "train_op";
      labels->values.push_back({0, "idle"});
      for (int v = int(train::TrainOpcode::Latent); v <= int(train::TrainOpcode::Checkpoint); ++v)
        labels->values.push_back({uint64_t(v), train::opcode_name(train::TrainOpcode(v))});
      op_signal_ = vcd->add_enum(base + ".op", 8, std::move(labels));
    }
    if (observer.signals().selected(base + ".layer")) layer_signal_ = vcd->add_int(base + ".layer", 16);
    if (observer.signals().selected(base + ".step")) step_signal_ = vcd->add_int(base + ".step", 32);
  }
  if (auto* tl = observer.timeline()) {
    track_ = tl->track("layer_engine", "operations");
    on_timeline_ = true;
  }
  id_.on_read([](const sc_core::sc_time&) { return kIdValue; });
  status_.on_read([this](const sc_core::sc_time&) { return busy() ? kStatusBusy : 0u; });
  cmd_.on_write([this](uint32_t v, const sc_core::sc_time&) { return start(v); });
  steps_.on_read([this](const sc_core::sc_time&) { return static_cast<uint32_t>(trainer_.steps_done()); });
  ops_reg_.on_read([this](const sc_core::sc_time&) { return static_cast<uint32_t>(ops_); });
  done_.on_read([this](const sc_core::sc_time&) { return busy() ? kStatusBusy : 0u; });
  done_.stall_while_busy();
}

std::string LayerEngine::op_label(const train::TrainOp& op) const {
  if (!train::is_layer_op(op.opcode)) return train::describe(op);
  return fmt::format("{} {}.{}", train::opcode_name(op.opcode), op.model == train::Model::Generator ? "G" : "D",
                     trainer_.layer_spec(op.model, op.layer).name);
}

std::string LayerEngine::start(uint32_t word) {
  if (busy()) return "CMD written while busy (poll STATUS.BUSY first)";
  const auto op = train::decode_train_op(word);
  if (!op) return fmt::format("CMD 0x{:08x} is not a training operation (opcode, model or argument unknown)", word);
  train::OpWork work;
  try {
    work = trainer_.execute(*op);
  } catch (const std::exception& e) {
    return e.what();
  }
  const uint64_t t0 = access_ps();
  if (std::string why = generate_addresses(*op, work); !why.empty()) return why;
  using train::TrainOpcode;
  if (op->opcode == TrainOpcode::Eval || op->opcode == TrainOpcode::Checkpoint || op->opcode == TrainOpcode::StepEnd) {
    if (host_) host_(*op, t0);
  }
  const OpCost cost = cost_(*op, work);
  const uint64_t t1 = t0 + static_cast<uint64_t>(std::llround(cost.time_ns * 1e3));
  set_busy_until(t1);
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
  if (auto* vcd = observer().vcd(); vcd && t1 > t0) {
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
    observer().timeline()->complete(track_, label, t0, t1, args);
  }
  return {};
}

// The mapper generates the addressing of every pixel_wise scatter (ConvTranspose2d forward,
// Conv2d backward-data) at run time; its time is part of the operation's cost (mapper cycles per
// MVM). Here the sequence itself is produced and checked: its length x batch must be the MVMs the
// operation ran, and an RTL generator must match the C++ model step for step.
std::string LayerEngine::generate_addresses(const train::TrainOp& op, const train::OpWork& work) {
  if (params_.dataflow != "pixel_wise") return {};
  const bool backward_data = op.opcode == train::TrainOpcode::BackwardData;
  if (op.opcode != train::TrainOpcode::Forward && !backward_data) return {};
  const auto g = mapping::red_scatter_geometry(trainer_.layer_spec(op.model, op.layer), backward_data, params_.arrays);
  if (!g) return {};
  model_steps_.clear();
  for (mapping::RedAddressWalker walk(*g); !walk.finished(); walk.advance()) model_steps_.push_back(walk.step());
  ++addresses_.sequences;
  addresses_.steps += int64_t(model_steps_.size());
  const int64_t mvms_per_sample = int64_t(g->h) * g->w;
  if (mvms_per_sample * params_.batch != work.arrays.logical_mvms) ++addresses_.mvm_mismatches;
  if (!rtl_addresses_) return {};
  // The RTL runs in the engine's own thread, in parallel with the operation (its clocks are
  // part of the operation's mapper time); the next register access waits for it.
  rtl_geometry_ = *g;
  rtl_label_ = op_label(op);
  rtl_busy_ = true;
  rtl_request_.notify(sc_core::SC_ZERO_TIME);
  return {};
}

void LayerEngine::rtl_address_thread() {
  for (;;) {
    sc_core::wait(rtl_request_);
    try {
      addresses_.rtl_clocks += int64_t(rtl_addresses_->generate(rtl_geometry_, rtl_steps_));
      compare_rtl_addresses();
    } catch (const std::exception& e) {
      rtl_error_ = e.what();
    }
    rtl_busy_ = false;
    rtl_done_.notify(sc_core::SC_ZERO_TIME);
  }
}

void LayerEngine::compare_rtl_addresses() {
  int64_t differ = std::abs(int64_t(rtl_steps_.size()) - int64_t(model_steps_.size()));
  size_t first_bad = SIZE_MAX;
  for (size_t i = 0; i < std::min(rtl_steps_.size(), model_steps_.size()); ++i) {
    if (rtl_steps_[i] == model_steps_[i]) continue;
    ++differ;
    first_bad = std::min(first_bad, i);
  }
  if (differ > 0 && addresses_.rtl_mismatches == 0) {
    const std::string where =
        first_bad == SIZE_MAX ? fmt::format("{} steps instead of {}", rtl_steps_.size(), model_steps_.size())
                              : fmt::format("step {}: RTL {}, model {}", first_bad, describe(rtl_steps_[first_bad]),
                                            describe(model_steps_[first_bad]));
    SC_REPORT_WARNING("memgan/rtl", fmt::format("{}: red_addr_gen RTL differs from the C++ model ({}): {}", name(),
                                                rtl_label_, where).c_str());
  }
  addresses_.rtl_mismatches += differ;
}

// Called at every register access: an RTL sequence still running holds the initiator until it
// is done. Its local time is kept (the RTL ran in parallel), or moved to the RTL's end if later.
std::string LayerEngine::before_register_access(sc_core::sc_time& delay) {
  if (rtl_busy_) {
    const sc_core::sc_time local0 = sc_core::sc_time_stamp() + delay;
    while (rtl_busy_) sc_core::wait(rtl_done_);
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    delay = local0 > now ? local0 - now : sc_core::SC_ZERO_TIME;
  }
  std::string why;
  why.swap(rtl_error_);
  return why;
}

}  // namespace memgan
