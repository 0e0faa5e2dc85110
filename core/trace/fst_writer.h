// FST (GTKWave's compressed waveform format) back end of TraceWriter, built on the fstapi
// writer that Verilator ships. Same hierarchy and value semantics as VcdWriter; vectors
// are declared "name [msb:0]" as Verilator does. FST compresses in blocks, so the file
// size is only meaningful after close().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/trace/trace_writer.h"

namespace memgan::trace {

class FstWriter final : public TraceWriter {
 public:
  // Creates the file now; throws std::runtime_error naming the path on failure.
  explicit FstWriter(std::string path);
  ~FstWriter() override;

  const std::string& path() const { return path_; }
  // Bytes on disk so far: lags behind the buffered data until close().
  uint64_t bytes_written() const override;

 private:
  void on_begin(const std::vector<SignalInfo>& signals) override;
  void on_time(uint64_t t_ps) override;
  void on_int(SignalId id, uint64_t bits) override;
  void on_real(SignalId id, double value) override;
  void on_close() override;

  std::string path_;
  void* fst_ = nullptr;             // fstapi writer context
  std::vector<uint32_t> handles_;   // fstHandle per signal
};

}  // namespace memgan::trace
