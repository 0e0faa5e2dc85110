#include "firmware/program_builder.h"

namespace memgan::firmware {

ProgramBuilder& ProgramBuilder::nop() {
  commands_.push_back({Opcode::Nop, 0, 0, 0});
  return *this;
}
ProgramBuilder& ProgramBuilder::write32(uint32_t addr, uint32_t value) {
  commands_.push_back({Opcode::Write32, addr, value, 0});
  return *this;
}
ProgramBuilder& ProgramBuilder::poll32(uint32_t addr, uint32_t mask, uint32_t value) {
  commands_.push_back({Opcode::Poll32, addr, mask, value});
  return *this;
}
ProgramBuilder& ProgramBuilder::expect32(uint32_t addr, uint32_t mask, uint32_t value) {
  commands_.push_back({Opcode::Expect32, addr, mask, value});
  return *this;
}
ProgramBuilder& ProgramBuilder::wait(uint32_t cycles) {
  commands_.push_back({Opcode::Wait, cycles, 0, 0});
  return *this;
}
ProgramBuilder& ProgramBuilder::loop(uint32_t body_start, uint32_t iterations) {
  commands_.push_back({Opcode::Loop, body_start, iterations, 0});
  return *this;
}
ProgramBuilder& ProgramBuilder::end() {
  commands_.push_back({Opcode::End, 0, 0, 0});
  return *this;
}

std::vector<uint8_t> ProgramBuilder::image() const { return encode_image(commands_); }

}  // namespace memgan::firmware
