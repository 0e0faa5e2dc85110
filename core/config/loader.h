// Loads a run configuration: built-in defaults <- presets <- the file <- --set overrides,
// each value type- and range-checked, then cross-field validation. Every problem becomes a
// ConfigError whose message names file:line:column, the key path and what is allowed.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config/config.h"

namespace memgan::config {

class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(const std::vector<std::string>& messages);
  const std::vector<std::string>& messages() const { return messages_; }

 private:
  std::vector<std::string> messages_;
};

struct LoadedConfig {
  Config config;
  std::string path;                                  // the file given on the command line
  std::map<std::string, std::string> origin;         // key path -> "file:line:col" or "--set" of the value in force
};

// `presets` are further files applied after `path` (command line --preset), `overrides`
// are "key.path=value" strings applied last (--set).
LoadedConfig load_config(const std::string& path, const std::vector<std::string>& overrides = {},
                         const std::vector<std::string>& presets = {});

// Whether `path` is a config key, and if not a hint: " (did you mean 'arch.tiles'?)" or the
// keys at its level.
bool is_key(const std::string& path);
std::string key_suggestion(const std::string& path);

// Cross-field checks on an assembled config (also run by load_config).
void validate(const LoadedConfig& loaded);

// The resolved config as YAML with each key's documentation as a comment.
std::string dump_yaml(const Config& cfg, bool with_docs = true);

// The resolved config as a nested JSON object with typed values (for report.json).
nlohmann::json to_json(const Config& cfg);

}  // namespace memgan::config
