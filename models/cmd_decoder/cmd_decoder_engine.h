// What decodes the controller's program at boot when it is not the C++ model: the RTL command
// decoder behind its transactor (models/cmd_decoder/cmd_decoder_transactor.h, arch.rtl.cmd_decoder:
// rtl). Pure C++ (no Verilator types), so the controller builds without the RTL.
#pragma once

#include <cstdint>

#include "spec/isa/cmd_decoder.h"

namespace memgan {

class CmdDecoderEngine {
 public:
  virtual ~CmdDecoderEngine() = default;
  // Decodes commands 0..count-1 of a program of `count` commands in an image of `version`
  // into out[0..count-1], as firmware::decode_command_checked would. May take simulated time
  // (wait()): call only from an SC_THREAD whose local time is synchronised.
  virtual void decode(const firmware::RawCommand* raw, uint32_t count, uint16_t version,
                      firmware::DecodedCommand* out) = 0;
};

}  // namespace memgan
