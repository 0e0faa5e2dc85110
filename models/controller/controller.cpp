#include "models/controller/controller.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "models/base/sc_time_ps.h"
#include "core/util/interrupt.h"

namespace memgan {

namespace {
struct FirmwareFault : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct Interrupted {};
}  // namespace

Controller::Controller(sc_core::sc_module_name name, const ControllerParams& timing, uint64_t boot_address,
                       uint64_t image_limit_bytes, const AddressMap* address_map, RunObserver& observer,
                       double leakage_mw, const DecoderFactory& decoder)
    : sc_module(name),
      timing_(timing),
      boot_address_(boot_address),
      image_limit_(image_limit_bytes),
      address_map_(address_map),
      observer_(observer),
      probe_(observer, this->name(), leakage_mw) {
  SC_HAS_PROCESS(Controller);
  SC_THREAD(run);
  // Targets do their work inside b_transport on this thread: the layer engine runs BLAS and
  // Eigen there, which want far more stack than SystemC's default.
  set_stack_size(size_t(32) << 20);
  if (decoder) decoder_ = decoder("cmd_decoder");  // built here: a child of this module
}

std::string Controller::describe(uint64_t addr) const {
  if (address_map_) {
    if (const auto r = address_map_->decode(addr, 1)) return fmt::format("0x{:08x} ({} +0x{:x})", addr, r->name, addr - r->base);
  }
  return fmt::format("0x{:08x} (unmapped)", addr);
}

std::string Controller::context() const {
  if (!current_) return fmt::format("boot: program image at 0x{:08x}", boot_address_);
  return fmt::format("command {} ({})", current_index_, firmware::disassemble(*current_));
}

void Controller::transfer(tlm::tlm_command cmd, uint64_t addr, uint8_t* data, uint32_t len) {
  tlm::tlm_generic_payload tx;
  tx.set_command(cmd);
  tx.set_address(addr);
  tx.set_data_ptr(data);
  tx.set_data_length(len);
  tx.set_streaming_width(len);
  tx.set_byte_enable_ptr(nullptr);
  tx.set_dmi_allowed(false);
  tx.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_core::sc_time delay = qk_.get_local_time();
  master->b_transport(tx, delay);
  qk_.set(delay);
  if (!tx.is_response_ok()) {
    throw FirmwareFault(fmt::format("{}: {} of {} at {} failed with {}: {}", context(),
                                    cmd == tlm::TLM_READ_COMMAND ? "read" : "write", len, describe(addr),
                                    tx.get_response_string(), observer_.last_fault()));
  }
  if (qk_.need_sync()) {
    qk_.sync();
    // The command's own activity is booked from its start once it completes: moving the
    // observer's horizon here would make that booking late. execute() advances it after.
    advance_pending_ = true;
  }
}

uint32_t Controller::read32(uint32_t addr) {
  uint32_t v = 0;
  transfer(tlm::TLM_READ_COMMAND, addr, reinterpret_cast<uint8_t*>(&v), 4);
  return v;
}

void Controller::write32(uint32_t addr, uint32_t value) {
  transfer(tlm::TLM_WRITE_COMMAND, addr, reinterpret_cast<uint8_t*>(&value), 4);
}

void Controller::boot(std::vector<firmware::Command>& program) {
  const std::string what = context();
  std::vector<uint8_t> image(firmware::kHeaderBytes);
  transfer(tlm::TLM_READ_COMMAND, boot_address_, image.data(), firmware::kHeaderBytes);
  firmware::ImageHeader header{};
  try {
    header = firmware::parse_header(image.data(), image_limit_ - boot_address_);
  } catch (const firmware::ImageError& e) {
    throw FirmwareFault(fmt::format("{}: {}", what, e.what()));
  }
  const uint64_t body_bytes = uint64_t(header.command_count) * firmware::kCommandBytes;
  image.resize(firmware::kHeaderBytes + body_bytes);
  for (uint64_t off = 0; off < body_bytes; off += timing_.fetch_bytes) {
    const auto n = static_cast<uint32_t>(std::min<uint64_t>(timing_.fetch_bytes, body_bytes - off));
    transfer(tlm::TLM_READ_COMMAND, boot_address_ + firmware::kHeaderBytes + off,
             image.data() + firmware::kHeaderBytes + off, n);
  }
  firmware::AddressCheck mapped;
  if (address_map_) mapped = [this](uint32_t addr) { return address_map_->decode(addr, 4).has_value(); };
  firmware::ProgramDecoder decode;  // empty: the C++ model, untimed as before
  if (decoder_) {
    decode = [this](const firmware::RawCommand* raw, uint32_t count, uint16_t version, firmware::DecodedCommand* out) {
      qk_.sync();  // the RTL's clocks run on the kernel's time, after the fetch
      advance_pending_ = true;
      decoder_->decode(raw, count, version, out);
    };
  }
  try {
    program = firmware::parse_image(image, mapped, decode);
  } catch (const firmware::ImageError& e) {
    throw FirmwareFault(fmt::format("{}: {}", what, e.what()));
  }
}

void Controller::account(uint64_t t0_ps) {
  probe_.activity(t0_ps, local_ps(qk_.get_local_time()), timing_.command_pj);
  if (advance_pending_) {
    advance_pending_ = false;
    // One clock behind the kernel: processes running beside the controller (the RTL blocks'
    // clocks) stamp their samples up to half a clock in the past.
    const uint64_t now = to_ps(sc_core::sc_time_stamp()), lag = to_ps(timing_.clock_period);
    observer_.advance(now > lag ? now - lag : 0);
  }
}

void Controller::execute(const firmware::Command& c, size_t index) {
  using firmware::Opcode;
  current_ = &c;
  current_index_ = index;
  const uint64_t t0 = local_ps(qk_.get_local_time());
  qk_.inc(timing_.clock_period * double(timing_.cycles_per_command));
  switch (c.op) {
    case Opcode::Nop:
    case Opcode::Loop:  // the jump is the caller's (LoopStack); it costs one command time
    case Opcode::End:
      break;
    case Opcode::Write32:
      write32(c.a, c.b);
      break;
    case Opcode::Expect32: {
      const uint32_t v = read32(c.a);
      if ((v & c.b) != c.c) {
        throw FirmwareFault(fmt::format("{}: read 0x{:08x} from {}, masked 0x{:08x} != expected 0x{:08x}", context(), v,
                                        describe(c.a), v & c.b, c.c));
      }
      break;
    }
    case Opcode::Poll32: {
      const sc_core::sc_time start = sc_core::sc_time_stamp() + qk_.get_local_time();
      const sc_core::sc_time interval = timing_.clock_period * double(timing_.poll_interval_cycles);
      for (;;) {
        ++polls_;
        const uint32_t v = read32(c.a);
        if ((v & c.b) == c.c) break;
        if (interrupt_requested()) throw Interrupted{};
        if (sc_core::sc_time_stamp() + qk_.get_local_time() - start > timing_.poll_timeout) {
          throw FirmwareFault(fmt::format("{}: no match after {} (last read 0x{:08x})", context(),
                                          timing_.poll_timeout.to_string(), v));
        }
        qk_.inc(interval);
      }
      break;
    }
    case Opcode::Wait:
      qk_.inc(timing_.clock_period * double(c.a));
      break;
  }
  account(t0);
  ++commands_executed_;
}

void Controller::run() {
  std::vector<firmware::Command> program;
  try {
    boot(program);
    const uint64_t length = firmware::executed_length(program);
    const auto total = static_cast<int64_t>(std::min<uint64_t>(length, std::numeric_limits<int64_t>::max()));
    firmware::LoopStack loops;
    for (size_t i = 0; i < program.size();) {
      if (interrupt_requested()) throw Interrupted{};
      execute(program[i], i);
      if (progress_) progress_(commands_executed_, total);
      if (program[i].op == firmware::Opcode::End) break;
      i = loops.next(program[i], i);
    }
    outcome_ = Outcome::Completed;
  } catch (const FirmwareFault& e) {
    outcome_ = Outcome::FirmwareError;
    error_ = e.what();
  } catch (const Interrupted&) {
    outcome_ = Outcome::Interrupted;
    error_ = "interrupted";
  }
  current_ = nullptr;  // `program` goes away
  qk_.sync();
  end_time_ = sc_core::sc_time_stamp();
  sc_core::sc_stop();
}

}  // namespace memgan
