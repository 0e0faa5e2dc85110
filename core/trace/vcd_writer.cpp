#include "core/trace/vcd_writer.h"

#include "core/util/atomic_file.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

namespace memgan::trace {

namespace {

// Little-endian base-94 over '!'..'~': 94 one-character codes, then two characters, ...
std::string vcd_code(uint32_t n) {
  std::string code;
  do {
    code.push_back(static_cast<char>('!' + n % 94));
    n /= 94;
  } while (n != 0);
  return code;
}

}  // namespace

VcdWriter::VcdWriter(std::string path) : path_(std::move(path)) {
  file_ = std::fopen(part_path(path_).c_str(), "wb");
  if (file_ == nullptr) {
    throw std::runtime_error("cannot open VCD file '" + path_ + "': " + std::strerror(errno));
  }
  std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);  // many short lines
}

VcdWriter::~VcdWriter() {
  close_noexcept();
  if (file_ != nullptr) std::fclose(file_);  // only if closing failed half way
}

void VcdWriter::put(const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size()) {
    throw std::runtime_error("cannot write VCD file '" + path_ + "': " + std::strerror(errno));
  }
  bytes_ += text.size();
}

void VcdWriter::on_begin(const std::vector<SignalInfo>& signals) {
  for (SignalId id = 0; id < signals.size(); ++id) codes_.push_back(vcd_code(id));
  std::string out = "$version memgan $end\n$timescale 1 ps $end\n";
  walk_hierarchy(
      signals, [&](const std::string& scope) { out += "$scope module " + scope + " $end\n"; },
      [&](SignalId id, const std::string& leaf) {
        const SignalInfo& s = signals[id];
        if (s.kind == SignalKind::kReal) {
          out += "$var real 64 " + codes_[id] + " " + leaf + " $end\n";
        } else if (s.width == 1) {
          out += "$var wire 1 " + codes_[id] + " " + leaf + " $end\n";
        } else {
          out += "$var reg " + std::to_string(s.width) + " " + codes_[id] + " " + leaf + " [" +
                 std::to_string(s.width - 1) + ":0] $end\n";
        }
      },
      [&] { out += "$upscope $end\n"; });
  out += "$enddefinitions $end\n#0\n$dumpvars\n";
  put(out);
  for (SignalId id = 0; id < signals.size(); ++id) {
    if (signals[id].kind == SignalKind::kReal) {
      on_real(id, 0.0);
    } else {
      on_int(id, 0);
    }
  }
  put("$end\n");
}

void VcdWriter::on_time(uint64_t t_ps) { put("#" + std::to_string(t_ps) + "\n"); }

void VcdWriter::on_int(SignalId id, uint64_t bits) {
  line_.clear();
  if (signal(id).width == 1) {
    line_.push_back(bits != 0 ? '1' : '0');
  } else {
    line_.push_back('b');
    int msb = 63;
    while (msb > 0 && ((bits >> msb) & 1) == 0) --msb;
    for (int b = msb; b >= 0; --b) line_.push_back(((bits >> b) & 1) != 0 ? '1' : '0');
    line_.push_back(' ');
  }
  line_ += codes_[id];
  line_.push_back('\n');
  put(line_);
}

void VcdWriter::on_real(SignalId id, double value) {
  char buf[32];
  // 15 significant digits survive any decimal->double->decimal trip, so products such as
  // 3 * 0.1 print as 0.3; to_chars is locale-independent.
  const auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::general, 15);
  line_.assign("r");
  line_.append(buf, res.ptr);
  line_.push_back(' ');
  line_ += codes_[id];
  line_.push_back('\n');
  put(line_);
}

void VcdWriter::on_close() {
  std::FILE* f = file_;
  file_ = nullptr;
  if (std::fclose(f) != 0) {
    throw std::runtime_error("cannot finish VCD file '" + path_ + "': " + std::strerror(errno));
  }
  commit_part(path_);
}

}  // namespace memgan::trace
