#include "core/trace/fst_writer.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>
#include <stdexcept>
#include <system_error>

#include "fstapi.h"

#include "core/util/atomic_file.h"

namespace memgan::trace {

FstWriter::FstWriter(std::string path) : path_(std::move(path)) {
  fst_ = fstWriterCreate(part_path(path_).c_str(), 1);
  if (fst_ == nullptr) throw std::runtime_error("cannot open FST file '" + path_ + "'");
  fstWriterSetPackType(fst_, FST_WR_PT_LZ4);  // what Verilator uses: fast, good enough
  fstWriterSetTimescale(fst_, -12);           // 1 ps
  // Fixed header strings instead of the wall-clock date: reproducible files.
  fstWriterSetDate(fst_, "");
  fstWriterSetVersion(fst_, "memgan");
}

FstWriter::~FstWriter() {
  close_noexcept();
  if (fst_ != nullptr) fstWriterClose(fst_);  // only if closing failed half way
}

uint64_t FstWriter::bytes_written() const {
  std::error_code ec;
  auto size = std::filesystem::file_size(part_path(path_), ec);  // while writing
  if (ec) size = std::filesystem::file_size(path_, ec);          // once complete
  return ec ? 0 : size;
}

void FstWriter::on_begin(const std::vector<SignalInfo>& signals) {
  handles_.resize(signals.size());
  // One enum table per EnumLabels object, emitted before the first variable that uses it.
  std::map<const EnumLabels*, fstEnumHandle> tables;
  const auto enum_table = [&](const SignalInfo& s) {
    const auto it = tables.find(s.labels.get());
    if (it != tables.end()) return it->second;
    std::vector<std::string> values;
    std::vector<const char*> literal_ptrs, value_ptrs;
    for (const auto& [value, label] : s.labels->values) {
      std::string bits(static_cast<size_t>(s.width), '0');  // binary, MSB first, the variable's width
      for (int b = 0; b < s.width; ++b)
        if ((value >> b) & 1) bits[static_cast<size_t>(s.width - 1 - b)] = '1';
      values.push_back(std::move(bits));
    }
    for (size_t i = 0; i < values.size(); ++i) {
      literal_ptrs.push_back(s.labels->values[i].second.c_str());
      value_ptrs.push_back(values[i].c_str());
    }
    const fstEnumHandle h = fstWriterCreateEnumTable(fst_, s.labels->name.c_str(),
                                                     static_cast<uint32_t>(values.size()),
                                                     static_cast<unsigned>(s.width), literal_ptrs.data(),
                                                     value_ptrs.data());
    tables.emplace(s.labels.get(), h);
    return h;
  };
  walk_hierarchy(
      signals,
      [&](const std::string& scope) {
        fstWriterSetScope(fst_, FST_ST_VCD_MODULE, scope.c_str(), nullptr);
      },
      [&](SignalId id, const std::string& leaf) {
        const SignalInfo& s = signals[id];
        if (s.kind == SignalKind::kReal) {
          handles_[id] = fstWriterCreateVar(fst_, FST_VT_VCD_REAL, FST_VD_IMPLICIT, 64, leaf.c_str(), 0);
        } else if (s.width == 1) {
          handles_[id] = fstWriterCreateVar(fst_, FST_VT_VCD_WIRE, FST_VD_IMPLICIT, 1, leaf.c_str(), 0);
        } else {
          if (s.labels) fstWriterEmitEnumTableRef(fst_, enum_table(s));
          const std::string name = leaf + " [" + std::to_string(s.width - 1) + ":0]";
          handles_[id] = fstWriterCreateVar(fst_, FST_VT_VCD_REG, FST_VD_IMPLICIT,
                                            static_cast<uint32_t>(s.width), name.c_str(), 0);
        }
      },
      [&] { fstWriterSetUpscope(fst_); });
  fstWriterEmitTimeChange(fst_, 0);
  for (SignalId id = 0; id < signals.size(); ++id) {
    if (signals[id].kind == SignalKind::kReal) {
      on_real(id, 0.0);
    } else {
      on_int(id, 0);
    }
  }
}

void FstWriter::on_time(uint64_t t_ps) { fstWriterEmitTimeChange(fst_, t_ps); }

void FstWriter::on_int(SignalId id, uint64_t bits) {
  const int width = signal(id).width;
  if (width == 1) {
    fstWriterEmitValueChange(fst_, handles_[id], bits != 0 ? "1" : "0");
  } else {
    fstWriterEmitValueChange64(fst_, handles_[id], static_cast<uint32_t>(width), bits);
  }
}

void FstWriter::on_real(SignalId id, double value) {
  fstWriterEmitValueChange(fst_, handles_[id], &value);
}

void FstWriter::on_close() {
  void* f = fst_;
  fst_ = nullptr;
  fstWriterClose(f);
  // fstapi reports no write errors; an unusable result shows as a missing or empty file.
  if (bytes_written() == 0) throw std::runtime_error("cannot finish FST file '" + path_ + "'");
  commit_part(path_);
}

}  // namespace memgan::trace
