// GTKWave save file (.gtkw) that opens a dump (VCD or FST) with its signals arranged in
// named groups.
// Format learnt from GTKWave's own save-file code (savefile.c, write_save_helper /
// parsewavline) and checked by loading generated files in GTKWave 3.3.118: a "@<hex>" line
// sets the display flags for the trace lines that follow; "-name" lines are blank rows,
// which with the group-begin/end flags open and close a group; a real's analog view is
// made taller with "@20000" (analog blank stretch) rows.
#pragma once

#include <string>
#include <vector>

#include "core/trace/trace_writer.h"

namespace memgan::trace {

enum class DisplayStyle {
  kAuto,           // 1-bit: binary; wider ints: decimal; reals: analog step
  kBinary,
  kHex,
  kDecimal,        // reals: their value as text instead of a plot
  kSignedDecimal,
  kAnalogStep,     // a step plot, three rows tall
};

class GtkwWriter {
 public:
  // `dumpfile` is written as given. A relative path is resolved by GTKWave against the
  // directory of the save file (so the pair can move together), an absolute one as is.
  explicit GtkwWriter(std::string dumpfile);

  // Appends `signal` to `group` (a group is created at first use; groups keep that order).
  // Throws std::invalid_argument for an empty group name, or for a binary, hex or signed
  // style on a real.
  void add(const std::string& group, const SignalInfo& signal,
           DisplayStyle style = DisplayStyle::kAuto);

  // Throws std::runtime_error naming the path if the file cannot be written.
  void write(const std::string& save_path) const;

 private:
  struct Trace {
    std::string name;  // as GTKWave names it: vectors carry "[msb:0]"
    unsigned flags;
    bool analog;
  };
  struct Group {
    std::string name;
    std::vector<Trace> traces;
  };

  std::string dumpfile_;
  std::vector<Group> groups_;
};

}  // namespace memgan::trace
