// fuzz_program_image: the controller's program image (spec/isa/program_image.h,
// spec/isa/cmd_decoder.h): parse_image with and without the SoC's address check,
// disassemble_image, the per-command decoder and the executors of a validated program.
//
// Input: an image. It is parsed as it is and, so that mutations get past the checksum, once
// more with the header's CRC-32 recomputed over the commands it declares.
//
// Checks: every entry point either succeeds or throws ImageError with a message; a program
// accepted with the address check is accepted without it; the default and the explicit C++
// model decoder agree; an accepted program passes validate_program, re-encodes to the same
// commands, disassembles, and its executors (LoopStack, trace_execution, executed_length)
// stay inside it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "models/bus/address_map.h"
#include "spec/isa/cmd_decoder.h"
#include "spec/isa/program_image.h"
#include "spec/memory_map.h"
#include "spec/regs/dma.h"
#include "spec/regs/tile.h"

namespace {

namespace fw = memgan::firmware;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_program_image: %s\n", what.c_str());
  std::abort();
}

// The bus decode of configs/mvm.yaml's SoC: 64 MiB DRAM, DMA, noise block, one tile.
const memgan::AddressMap& soc_map() {
  static const memgan::AddressMap map = [] {
    namespace mm = memgan::memory_map;
    memgan::AddressMap m;
    m.add("dram", mm::kDramBase, uint64_t(64) << 20, 0);
    m.add("dma", mm::kDmaBase, mm::kDmaSize, 1);
    m.add("noise", mm::kNoiseBase, mm::kNoiseSize, 2);
    m.add("tile0", mm::tile_base(0), memgan::tile_map::kTileSpan, 3);
    return m;
  }();
  return map;
}

bool same(const std::vector<fw::Command>& a, const std::vector<fw::Command>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].op != b[i].op || a[i].a != b[i].a || a[i].b != b[i].b || a[i].c != b[i].c) return false;
  return true;
}

// parse_image, or nothing when it throws ImageError (which must carry a message).
template <class F>
bool attempt(F&& f, std::string* error = nullptr) {
  try {
    f();
    return true;
  } catch (const fw::ImageError& e) {
    if (std::string(e.what()).empty()) fail("ImageError without a message");
    if (error) *error = e.what();
    return false;
  }
}

void check_program(const std::vector<fw::Command>& cmds, uint16_t version) {
  if (cmds.empty() || cmds.back().op != fw::Opcode::End) fail("accepted program does not end with END");
  if (!attempt([&] { fw::validate_program(cmds, version); })) fail("accepted program fails validate_program");
  std::vector<fw::Command> again;
  if (!attempt([&] { again = fw::parse_image(fw::encode_image(cmds)); })) fail("re-encoded program is rejected");
  if (!same(cmds, again)) fail("re-encoded program decodes to other commands");
  for (const auto& c : cmds) (void)fw::disassemble(c);

  // The executors stay inside the program and end at END (or at the limit).
  const size_t limit = 4096;
  const std::vector<size_t> trace = fw::trace_execution(cmds, limit);
  for (size_t i : trace)
    if (i >= cmds.size()) fail("trace_execution leaves the program");
  const uint64_t length = fw::executed_length(cmds);
  if (length < trace.size() && trace.size() < limit) fail("executed_length is shorter than the trace");
  if (trace.size() < limit && (trace.empty() || cmds[trace.back()].op != fw::Opcode::End))
    fail("trace ended without reaching END");
  if (trace.size() < limit && length != trace.size()) fail("executed_length disagrees with trace_execution");
}

void run_image(const std::vector<uint8_t>& image) {
  std::vector<fw::Command> plain, checked, model;
  std::string plain_error, checked_error;
  const bool ok_plain = attempt([&] { plain = fw::parse_image(image); }, &plain_error);
  const auto mapped = [](uint32_t addr) { return soc_map().decode(addr, 4).has_value(); };
  const bool ok_checked = attempt([&] { checked = fw::parse_image(image, mapped); }, &checked_error);
  const bool ok_model = attempt([&] { model = fw::parse_image(image, {}, fw::decode_with_model); });
  if (ok_checked && !ok_plain) fail("accepted with the address check but not without: " + plain_error);
  if (ok_checked && !same(plain, checked)) fail("the address check changed the decoded commands");
  if (ok_plain != ok_model || (ok_plain && !same(plain, model)))
    fail("the default and the explicit C++ model decoder disagree");
  std::string listing;
  const bool ok_disasm = attempt([&] {
    listing = fw::disassemble_image(image, [](const fw::Command& c) {
      return fw::is_register_access(c.op) ? std::string("reg") : std::string();
    });
  });
  if (ok_disasm != ok_plain) fail("disassemble_image and parse_image disagree");
  if (ok_plain) check_program(plain, fw::detail::load_u16(image.data() + 4));
}

void per_command(const uint8_t* data, size_t size) {
  // Every 16-byte chunk as a command of a program as long as the input, in each version.
  const size_t n = size / fw::kCommandBytes;
  for (size_t i = 0; i < n && i < 256; ++i) {
    const uint8_t* p = data + i * fw::kCommandBytes;
    attempt([&] { (void)fw::decode_command(p, uint32_t(i)); });
    const fw::RawCommand raw = fw::load_command(p);
    for (uint16_t version : {uint16_t(1), uint16_t(2)}) {
      const fw::DecodedCommand d = fw::decode_command_checked(raw, uint32_t(i), version, uint32_t(n));
      const std::string msg = fw::decode_error_message(d.error, raw, uint32_t(i), version, uint32_t(n));
      if ((d.error == fw::DecodeError::None) != msg.empty()) fail("decoder error and message disagree");
      if (static_cast<uint8_t>(d.error) > fw::kMaxDecodeError) fail("decoder error code out of range");
      if (d.error == fw::DecodeError::None && !fw::known_opcode(raw.op)) fail("unknown opcode decoded cleanly");
    }
  }
  // A caller's out-of-range index is reported, never read beyond.
  if (n > 0) {
    const fw::RawCommand raw = fw::load_command(data);
    if (fw::decode_command_checked(raw, uint32_t(n), 2, uint32_t(n)).error != fw::DecodeError::IndexOutOfRange)
      fail("index beyond the program not reported");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256 * 1024) return -1;
  std::vector<uint8_t> image(data, data + size);
  run_image(image);
  // The same with a correct checksum, when the header declares commands that are there.
  if (size >= fw::kHeaderBytes) {
    const uint64_t count = fw::detail::load_u32(data + 8);
    if (fw::kHeaderBytes + count * fw::kCommandBytes <= size) {
      const uint32_t crc = fw::detail::crc_of(data + fw::kHeaderBytes, count * fw::kCommandBytes);
      for (int i = 0; i < 4; ++i) image[12 + i] = uint8_t(crc >> (8 * i));
      run_image(image);
    }
  }
  per_command(data, size);
  return 0;
}
