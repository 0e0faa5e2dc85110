// Output files that are either complete or absent under their name: each is written to
// `<name>.part` and renamed when it is whole, so a full disk, a crash or a kill never leaves a
// truncated file that looks finished (a `.part` file is what was written before it stopped).
#pragma once

#include <string>

namespace memgan {

// The name a file is written under until it is complete.
inline std::string part_path(const std::string& path) { return path + ".part"; }

// Renames `part_path(path)` to `path`. Throws std::runtime_error naming the file.
void commit_part(const std::string& path);

// Writes `bytes` to `path` through its part file. Throws std::runtime_error naming the file and
// the system's reason (e.g. "No space left on device"); the part file is removed then.
void write_file_atomically(const std::string& path, const std::string& bytes);

}  // namespace memgan
