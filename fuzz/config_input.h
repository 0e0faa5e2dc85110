// The input format of fuzz_config, shared with its regression tests (tests/fuzz_regressions/).
//
// Text. Up to the first "#%preset" / "#%cli-preset" line it is the config file; each such
// line starts another preset file p<N>.yaml next to it (the config names it in its own
// `presets: [p0.yaml]`; a "#%cli-preset" one is also given as a command-line --preset). Every
// line "#%set key=value" anywhere is an override (--set), not part of any file.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace memgan::fuzz {

struct ConfigInput {
  std::string config;
  std::vector<std::string> presets;  // file contents, p0.yaml ...
  std::vector<bool> on_command_line;
  std::vector<std::string> overrides;

  static constexpr size_t kMaxPresets = 4, kMaxOverrides = 8;

  static ConfigInput parse(std::string_view in) {
    ConfigInput p;
    std::string* current = &p.config;
    while (!in.empty()) {
      const size_t nl = in.find('\n');
      const std::string_view line = in.substr(0, nl == std::string_view::npos ? in.size() : nl + 1);
      in.remove_prefix(line.size());
      std::string_view body = line;
      if (!body.empty() && body.back() == '\n') body.remove_suffix(1);
      if (body.substr(0, 6) == "#%set " && p.overrides.size() < kMaxOverrides) {
        p.overrides.emplace_back(body.substr(6));
      } else if ((body == "#%preset" || body == "#%cli-preset") && p.presets.size() < kMaxPresets) {
        p.presets.emplace_back();
        p.on_command_line.push_back(body == "#%cli-preset");
        current = &p.presets.back();
      } else {
        current->append(line);
      }
    }
    return p;
  }

  // Writes dir/config.yaml and dir/p<N>.yaml (removing stale p<N>.yaml); returns the
  // command-line presets.
  std::vector<std::string> write(const std::filesystem::path& dir) const {
    const auto put = [](const std::filesystem::path& path, const std::string& text) {
      std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    };
    put(dir / "config.yaml", config);
    std::vector<std::string> cli;
    for (size_t i = 0; i < kMaxPresets; ++i) {
      const auto file = dir / ("p" + std::to_string(i) + ".yaml");
      if (i >= presets.size()) {
        std::error_code ec;
        std::filesystem::remove(file, ec);
        continue;
      }
      put(file, presets[i]);
      if (on_command_line[i]) cli.push_back(file.string());
    }
    return cli;
  }
};

}  // namespace memgan::fuzz
