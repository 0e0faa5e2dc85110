#include "trace/vcd_writer.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
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

struct Scope {
  std::string name;
  std::vector<SignalId> vars;
  std::vector<std::unique_ptr<Scope>> children;

  Scope& child(const std::string& child_name) {
    for (auto& c : children) {
      if (c->name == child_name) return *c;
    }
    children.push_back(std::make_unique<Scope>());
    children.back()->name = child_name;
    return *children.back();
  }
};

}  // namespace

VcdWriter::VcdWriter(std::string path) : path_(std::move(path)) {
  file_ = std::fopen(path_.c_str(), "wb");
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
  Scope root;
  for (SignalId id = 0; id < signals.size(); ++id) {
    const std::string& name = signals[id].name;
    Scope* scope = &root;
    size_t start = 0;
    for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', start)) {
      scope = &scope->child(name.substr(start, dot - start));
      start = dot + 1;
    }
    scope->vars.push_back(id);
    codes_.push_back(vcd_code(id));
  }

  std::string out = "$version memgan $end\n$timescale 1 ps $end\n";
  auto declare = [&](const Scope& scope, auto& self) -> void {
    for (SignalId id : scope.vars) {
      const SignalInfo& s = signals[id];
      const std::string leaf = s.name.substr(s.name.rfind('.') + 1);  // npos + 1 == 0
      if (s.kind == SignalKind::kReal) {
        out += "$var real 64 " + codes_[id] + " " + leaf + " $end\n";
      } else if (s.width == 1) {
        out += "$var wire 1 " + codes_[id] + " " + leaf + " $end\n";
      } else {
        out += "$var reg " + std::to_string(s.width) + " " + codes_[id] + " " + leaf + " [" +
               std::to_string(s.width - 1) + ":0] $end\n";
      }
    }
    for (const auto& child : scope.children) {
      out += "$scope module " + child->name + " $end\n";
      self(*child, self);
      out += "$upscope $end\n";
    }
  };
  declare(root, declare);
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
}

}  // namespace memgan::trace
