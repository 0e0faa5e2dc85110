#include "core/trace/gtkw_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace memgan::trace {

namespace {

// GTKWave trace flag bits (TraceEntFlagBits in its analyzer.h).
constexpr unsigned kHex = 1u << 1;
constexpr unsigned kDec = 1u << 2;
constexpr unsigned kBin = 1u << 3;
constexpr unsigned kRightJustify = 1u << 5;
constexpr unsigned kBlank = 1u << 9;
constexpr unsigned kSigned = 1u << 10;
constexpr unsigned kAnalogStep = 1u << 15;
constexpr unsigned kAnalogBlankStretch = 1u << 17;
constexpr unsigned kGroupBegin = 1u << 23;
constexpr unsigned kGroupEnd = 1u << 24;
constexpr int kAnalogExtraRows = 2;

std::string flag_line(unsigned flags) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "@%x\n", flags);
  return buf;
}

}  // namespace

GtkwWriter::GtkwWriter(std::string dumpfile) : dumpfile_(std::move(dumpfile)) {
  if (dumpfile_.empty() || dumpfile_.find_first_of("\"\n") != std::string::npos) {
    throw std::invalid_argument("gtkw dump file path '" + dumpfile_ + "' is empty or has '\"'/newline");
  }
}

void GtkwWriter::add(const std::string& group, const SignalInfo& signal, DisplayStyle style) {
  if (group.empty() || group.find('\n') != std::string::npos) {
    throw std::invalid_argument("gtkw group name '" + group + "' is empty or has a newline");
  }
  const bool real = signal.kind == SignalKind::kReal;
  if (real && (style == DisplayStyle::kBinary || style == DisplayStyle::kHex ||
               style == DisplayStyle::kSignedDecimal)) {
    throw std::invalid_argument("gtkw: real signal '" + signal.name + "' can only be analog or decimal");
  }
  if (style == DisplayStyle::kAuto) {
    style = real ? DisplayStyle::kAnalogStep
                 : signal.width == 1 ? DisplayStyle::kBinary : DisplayStyle::kDecimal;
  }
  // GTKWave itself saves reals with the binary bit set (@28 text, @8028 analog); match it.
  unsigned flags = kRightJustify;
  switch (style) {
    case DisplayStyle::kBinary: flags |= kBin; break;
    case DisplayStyle::kHex: flags |= kHex; break;
    case DisplayStyle::kDecimal: flags |= real ? kBin : kDec; break;
    case DisplayStyle::kSignedDecimal: flags |= kDec | kSigned; break;
    case DisplayStyle::kAnalogStep: flags |= kAnalogStep | (real ? kBin : kDec); break;
    case DisplayStyle::kAuto: break;  // resolved above
  }
  std::string name = signal.name;
  if (!real && signal.width > 1) name += "[" + std::to_string(signal.width - 1) + ":0]";

  Group* target = nullptr;
  for (auto& g : groups_) {
    if (g.name == group) target = &g;
  }
  if (target == nullptr) target = &groups_.emplace_back(Group{group, {}});
  target->traces.push_back({std::move(name), flags, style == DisplayStyle::kAnalogStep});
}

void GtkwWriter::write(const std::string& save_path) const {
  std::string out = "[*] memgan waveform view\n[dumpfile] \"" + dumpfile_ + "\"\n";
  if (dumpfile_.front() != '/') {
    // With the save file's own (relative) name, GTKWave re-bases a relative dump path on
    // the directory the save file is opened from.
    const size_t slash = save_path.rfind('/');
    out += "[savefile] \"" + save_path.substr(slash == std::string::npos ? 0 : slash + 1) + "\"\n";
  }
  out += "[timestart] 0\n";
  for (const auto& g : groups_) {
    out += flag_line(kGroupBegin | kBlank) + "-" + g.name + "\n";
    for (const auto& t : g.traces) {
      out += flag_line(t.flags) + t.name + "\n";
      if (t.analog) {
        out += flag_line(kAnalogBlankStretch);
        for (int i = 0; i < kAnalogExtraRows; ++i) out += "-\n";
      }
    }
    out += flag_line(kGroupEnd | kBlank) + "-" + g.name + "\n";
  }

  std::ofstream file(save_path, std::ios::binary | std::ios::trunc);
  file << out;
  file.close();
  if (!file) {
    throw std::runtime_error("cannot write GTKWave save file '" + save_path + "': " + std::strerror(errno));
  }
}

}  // namespace memgan::trace
