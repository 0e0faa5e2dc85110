// The firmware assembler: builds a controller program image command by command (always the
// current image version, spec/isa/program_image.h). No checks here: parse_image validates, and
// tests build malformed images with it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "spec/isa/program_image.h"

namespace memgan::firmware {

class ProgramBuilder {
 public:
  ProgramBuilder& nop();
  ProgramBuilder& write32(uint32_t addr, uint32_t value);
  ProgramBuilder& poll32(uint32_t addr, uint32_t mask, uint32_t value);
  ProgramBuilder& expect32(uint32_t addr, uint32_t mask, uint32_t value);
  ProgramBuilder& wait(uint32_t cycles);
  // Runs the commands from index `body_start` up to here `iterations` times in all.
  ProgramBuilder& loop(uint32_t body_start, uint32_t iterations);
  ProgramBuilder& end();
  size_t here() const { return commands_.size(); }  // index of the next command
  const std::vector<Command>& commands() const { return commands_; }
  std::vector<uint8_t> image() const;

 private:
  std::vector<Command> commands_;
};

}  // namespace memgan::firmware
