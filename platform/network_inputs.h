// The inputs and output folder of the network commands (memgan map / compare / layer): a
// config's network.file loaded and mapped onto the configured arrays. Errors are InputError
// (platform/run.h).
#pragma once

#include <filesystem>
#include <string>

#include "core/config/loader.h"
#include "core/mapping/dataflow.h"
#include "core/mapping/mapper.h"
#include "core/mapping/placement.h"
#include "core/mapping/network.h"

namespace memgan {

// network.file of the config; InputError when it is not set or does not load.
mapping::Network load_config_network(const config::LoadedConfig& loaded);
// `net` mapped onto cfg's arrays under dataflow `df` at network.batch.
// The network placed on the configured chip for training (one copy per layer,
// mapping/placement.h). A network that does not fit is an InputError naming where arch.tiles is
// set, each layer's arrays and what the chip has (unless arch.mapping.overflow: reprogram).
mapping::ChipPlacement place_config_network(const config::LoadedConfig& loaded, const mapping::Network& net);

mapping::NetworkMapping map_config_network(const mapping::Network& net, const config::Config& cfg,
                                           mapping::Dataflow df);
// The output folder, created if missing.
std::filesystem::path create_output_dir(const std::string& dir);
// Writes `text` to `path` (binary).
void write_output_file(const std::filesystem::path& path, const std::string& text);

}  // namespace memgan
