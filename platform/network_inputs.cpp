#include "platform/network_inputs.h"

#include "core/util/atomic_file.h"

#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "platform/network_cost.h"
#include "platform/run.h"

namespace memgan {
namespace fs = std::filesystem;

mapping::Network load_config_network(const config::LoadedConfig& loaded) {
  const std::string& file = loaded.config.network.file;
  if (file.empty()) throw InputError(fmt::format("{}: network.file is not set", loaded.path));
  try {
    return mapping::load_network(file);
  } catch (const std::exception& e) {
    throw InputError(e.what());
  }
}

mapping::NetworkMapping map_config_network(const mapping::Network& net, const config::Config& cfg,
                                           mapping::Dataflow df) {
  mapping::MapOptions opts;
  opts.dataflow = df;
  opts.batch = cfg.network.batch;
  try {
    return mapping::map_network(net, arch_spec(cfg), opts);
  } catch (const std::invalid_argument& e) {
    throw InputError(e.what());
  }
}

mapping::ChipPlacement place_config_network(const config::LoadedConfig& loaded, const mapping::Network& net) {
  const config::Config& cfg = loaded.config;
  mapping::MapOptions opts;
  opts.dataflow = mapping::parse_dataflow(cfg.network.dataflow);
  opts.batch = cfg.network.batch;
  opts.replicate = false;
  try {
    return mapping::place_network(mapping::map_network(net, arch_spec(cfg), opts),
                                  mapping::parse_overflow(cfg.arch.mapping.overflow));
  } catch (const mapping::PlacementError& e) {
    const auto at = loaded.origin.find("arch.tiles");
    throw InputError(fmt::format("{}: arch.tiles, arch.arrays_per_tile: {}",
                                 at != loaded.origin.end() ? at->second : loaded.path, e.what()));
  } catch (const std::invalid_argument& e) {
    throw InputError(e.what());
  }
}

fs::path create_output_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw InputError(fmt::format("{}: cannot create the output folder ({})", dir, ec.message()));
  return fs::path(dir);
}

void write_output_file(const fs::path& path, const std::string& text) {
  write_file_atomically(path.string(), text);
}

}  // namespace memgan
