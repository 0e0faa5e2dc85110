// Streaming VCD (IEEE 1364 value change dump) back end of TraceWriter. The module
// hierarchy becomes nested $scope module blocks, built from the dotted signal names in
// declaration order (a scope's own variables first, then its sub-scopes). The output is
// deterministic: no $date, timescale 1 ps, compact identifiers from the printable range
// '!'..'~', integers in binary without leading zeros, reals with 15 significant digits.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "core/trace/trace_writer.h"

namespace memgan::trace {

class VcdWriter final : public TraceWriter {
 public:
  // Opens (truncates) the file now; throws std::runtime_error naming the path on failure.
  explicit VcdWriter(std::string path);
  ~VcdWriter() override;

  const std::string& path() const { return path_; }
  uint64_t bytes_written() const override { return bytes_; }

 private:
  void on_begin(const std::vector<SignalInfo>& signals) override;
  void on_time(uint64_t t_ps) override;
  void on_int(SignalId id, uint64_t bits) override;
  void on_real(SignalId id, double value) override;
  void on_close() override;

  void put(const std::string& text);

  std::string path_;
  std::FILE* file_ = nullptr;
  std::vector<std::string> codes_;  // VCD identifier per signal
  std::string line_;                // reused line buffer
  uint64_t bytes_ = 0;
};

}  // namespace memgan::trace
