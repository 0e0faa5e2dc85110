#include "core/config/loader.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "core/config/schema.h"

namespace memgan::config {
namespace {

std::string join_lines(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "\n" : "") + v[i];
  return s;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Candidate keys at the same level as `path` (siblings), to suggest a correction.
std::string suggestion(const std::vector<Field>& fields, const std::string& path) {
  const auto dot = path.rfind('.');
  const std::string parent = dot == std::string::npos ? "" : path.substr(0, dot + 1);
  const std::string leaf = path.substr(parent.size());
  std::set<std::string> siblings;
  for (const auto& f : fields) {
    if (f.path.compare(0, parent.size(), parent) != 0) continue;
    const std::string rest = f.path.substr(parent.size());
    siblings.insert(rest.substr(0, rest.find('.')));
  }
  if (parent.empty()) siblings.insert("presets");
  std::string best;
  size_t best_d = std::max<size_t>(3, leaf.size() / 3) + 1;
  for (const auto& s : siblings) {
    const size_t d = edit_distance(leaf, s);
    if (d < best_d) {
      best_d = d;
      best = s;
    }
  }
  if (best.empty()) {
    std::string list;
    for (const auto& s : siblings) list += (list.empty() ? "" : ", ") + s;
    return fmt::format(" (keys here: {})", list);
  }
  return fmt::format(" (did you mean '{}{}'?)", parent, best);
}

std::string node_kind(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Null: return "nothing";
    default: return "a scalar";
  }
}

class Loader {
 public:
  explicit Loader(LoadedConfig& out) : out_(out), fields_(schema(out.config)) {}

  void load_file(const std::string& path, int depth) {
    if (depth > 8) {
      errors_.push_back(fmt::format("{}: presets nested too deeply (a cycle?)", path));
      return;
    }
    // Bounded work for a hostile file: `presets: [a, a, a, a]` in each of 8 nested files would
    // otherwise load 4^8 files.
    if (++files_loaded_ > kMaxFiles) {
      if (files_loaded_ == kMaxFiles + 1)
        errors_.push_back(fmt::format("{}: presets: more than {} config files to load (a preset listed over and over?)",
                                      path, kMaxFiles));
      return;
    }
    open_.push_back(file_key(path));
    struct Pop {
      std::vector<std::string>& v;
      ~Pop() { v.pop_back(); }
    } pop{open_};
    YAML::Node root;
    // A folder (e.g. an empty preset path) opens, then fails inside the stream with ios_failure.
    if (std::error_code ec; std::filesystem::is_directory(path, ec)) {
      errors_.push_back(fmt::format("{}: is a folder, not a YAML file", path.empty() ? std::string("''") : path));
      return;
    }
    try {
      root = YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
      errors_.push_back(fmt::format("{}: cannot open the file", path));
      return;
    } catch (const YAML::ParserException& e) {
      errors_.push_back(fmt::format("{}:{}:{}: YAML syntax error: {}", path, e.mark.line + 1,
                                    e.mark.column + 1, e.msg));
      return;
    }
    if (root.IsNull()) return;  // an empty file changes nothing
    if (!root.IsMap()) {
      errors_.push_back(fmt::format("{}: the top level must be a mapping of sections, got {}", where(path, root),
                                    node_kind(root)));
      return;
    }
    // Presets first, so that the file's own keys override them wherever they appear.
    if (const auto presets = root["presets"]) {
      if (!presets.IsSequence()) {
        errors_.push_back(fmt::format("{}: presets: expected a list of file paths, got {}", where(path, presets),
                                      node_kind(presets)));
      } else {
        const auto dir = std::filesystem::path(path).parent_path();
        for (const auto& p : presets) {
          if (!p.IsScalar()) {
            errors_.push_back(fmt::format("{}: presets: expected a file path, got {}", where(path, p), node_kind(p)));
            continue;
          }
          const std::string preset = (dir / p.Scalar()).lexically_normal().string();
          if (std::find(open_.begin(), open_.end(), file_key(preset)) != open_.end()) {
            errors_.push_back(fmt::format("{}: presets: {} is already being loaded (the presets form a cycle)",
                                          where(path, p), preset));
            continue;
          }
          load_file(preset, depth + 1);
        }
      }
    }
    walk(path, root, "");
  }

  void apply_override(const std::string& text) {
    const auto eq = text.find('=');
    const std::string origin = fmt::format("--set {}", text);
    if (eq == std::string::npos || eq == 0) {
      errors_.push_back(fmt::format("{}: expected key.path=value", origin));
      return;
    }
    const std::string key = text.substr(0, eq);
    std::string value = text.substr(eq + 1);
    const Field* f = find(key);
    if (!f) {
      errors_.push_back(fmt::format("{}: unknown key '{}'{}", origin, key,
                                    is_section(fields_, key) ? " (a section, not a value)" : suggestion(fields_, key)));
      return;
    }
    try {
      // Same scalar rules as in a file: let YAML unquote the value.
      const YAML::Node n = YAML::Load(value);
      if (n.IsScalar()) value = n.Scalar();
      f->assign(value);
      out_.origin[key] = origin;
    } catch (const std::exception& e) {
      errors_.push_back(fmt::format("{}: {}: {}", origin, key, e.what()));
    }
  }

  std::vector<std::string>& errors() { return errors_; }

 private:
  static std::string where(const std::string& file, const YAML::Node& n) {
    const auto m = n.Mark();
    if (m.is_null()) return file;
    return fmt::format("{}:{}:{}", file, m.line + 1, m.column + 1);
  }

  const Field* find(const std::string& path) const {
    for (const auto& f : fields_) {
      if (f.path == path) return &f;
    }
    return nullptr;
  }

  void walk(const std::string& file, const YAML::Node& map, const std::string& prefix) {
    std::set<std::string> seen;
    for (const auto& kv : map) {
      const YAML::Node& key = kv.first;
      const YAML::Node& value = kv.second;
      if (!key.IsScalar()) {
        errors_.push_back(fmt::format("{}: keys must be plain names", where(file, key)));
        continue;
      }
      const std::string name = key.Scalar();
      const std::string path = prefix.empty() ? name : prefix + "." + name;
      if (!seen.insert(name).second) {
        errors_.push_back(fmt::format("{}: duplicate key '{}'", where(file, key), path));
        continue;
      }
      if (prefix.empty() && name == "presets") continue;  // handled before the walk
      if (const Field* f = find(path)) {
        if (!value.IsScalar()) {
          errors_.push_back(fmt::format("{}: {}: expected {}, got {}", where(file, value.IsNull() ? key : value),
                                        path, f->allowed(), node_kind(value)));
          continue;
        }
        try {
          std::string scalar = value.Scalar();
          // A path in a file means a path next to that file, wherever memgan runs from.
          if (f->kind == FieldKind::Path && !scalar.empty() && std::filesystem::path(scalar).is_relative()) {
            scalar = (std::filesystem::path(file).parent_path() / scalar).lexically_normal().string();
          }
          f->assign(scalar);
          out_.origin[path] = where(file, value);
        } catch (const std::exception& e) {
          errors_.push_back(fmt::format("{}: {}: {}", where(file, value), path, e.what()));
        }
      } else if (is_section(fields_, path)) {
        if (!value.IsMap()) {
          errors_.push_back(fmt::format("{}: {}: expected a mapping (section), got {}",
                                        where(file, value.IsNull() ? key : value), path, node_kind(value)));
          continue;
        }
        walk(file, value, path);
      } else {
        errors_.push_back(fmt::format("{}: unknown key '{}'{}", where(file, key), path, suggestion(fields_, path)));
      }
    }
  }

  // The same file however it is named (relative or absolute, with "." or ".." in it).
  static std::string file_key(const std::string& path) {
    std::error_code ec;
    const auto abs = std::filesystem::absolute(path, ec);
    return (ec ? std::filesystem::path(path) : abs).lexically_normal().string();
  }

  static constexpr int kMaxFiles = 64;
  LoadedConfig& out_;
  std::vector<Field> fields_;
  std::vector<std::string> errors_;
  std::vector<std::string> open_;  // the files being loaded, outermost first
  int files_loaded_ = 0;
};

}  // namespace

ConfigError::ConfigError(const std::vector<std::string>& messages)
    : std::runtime_error(join_lines(messages)), messages_(messages) {}

LoadedConfig load_config(const std::string& path, const std::vector<std::string>& overrides,
                         const std::vector<std::string>& presets) {
  LoadedConfig loaded;
  loaded.path = path;
  Loader loader(loaded);
  loader.load_file(path, 0);
  for (const auto& p : presets) loader.load_file(p, 0);
  for (const auto& o : overrides) loader.apply_override(o);
  if (!loader.errors().empty()) throw ConfigError(loader.errors());
  validate(loaded);
  return loaded;
}

void validate(const LoadedConfig& loaded) {
  const Config& c = loaded.config;
  std::vector<std::string> errors;
  auto at = [&](const std::string& key) {
    const auto it = loaded.origin.find(key);
    return it != loaded.origin.end() ? it->second : fmt::format("{} (default)", loaded.path);
  };
  auto check = [&](bool ok, const std::string& key, const std::string& message) {
    if (!ok) errors.push_back(fmt::format("{}: {}: {}", at(key), key, message));
  };

  const auto& a = c.arch;
  const auto& d = c.device;
  check(d.g_min_us < d.g_max_us, "device.g_min_us",
        fmt::format("must be below device.g_max_us ({} >= {})", d.g_min_us, d.g_max_us));
  check(d.stuck_on_rate + d.stuck_off_rate <= 1.0, "device.stuck_on_rate",
        "stuck_on_rate + stuck_off_rate must not exceed 1");
  if (a.quantize) {
    check((1 << a.cell_bits) <= d.levels, "arch.cell_bits",
          fmt::format("2^cell_bits = {} levels exceed the device's {} levels (device.levels)", 1 << a.cell_bits,
                      d.levels));
    check(a.dac_bits <= a.input_bits, "arch.dac_bits",
          fmt::format("dac_bits ({}) cannot exceed input_bits ({})", a.dac_bits, a.input_bits));
  }
  check(a.controller.fetch_bytes % 16 == 0, "arch.controller.fetch_bytes",
        "must be a multiple of the 16-byte command size");
  check(a.adc.per_array <= a.array.cols, "arch.adc.per_array",
        fmt::format("more ADCs ({}) than array columns ({})", a.adc.per_array, a.array.cols));

  // Weight columns one logical output needs, for the capacity checks of the job.
  const int slices = a.quantize ? (a.weight_encoding == "differential"
                                       ? (a.weight_bits - 1 + a.cell_bits - 1) / a.cell_bits
                                       : (a.weight_bits + a.cell_bits - 1) / a.cell_bits)
                                : 1;
  const int cols_per_output = a.weight_encoding == "differential" ? 2 * slices : slices;
  const int reserved_cols = a.weight_encoding == "differential" ? 0 : 1;
  const int logical_cols = (a.array.cols - reserved_cols) / cols_per_output;
  const auto& j = c.job;
  // The MVM job's operands must fit one array, its buffers and DRAM.
  if (j.kind == "mvm") {
    check(j.tile < a.tiles, "job.tile", fmt::format("tile {} does not exist (arch.tiles = {})", j.tile, a.tiles));
    check(j.array < a.arrays_per_tile, "job.array",
          fmt::format("array {} does not exist (arch.arrays_per_tile = {})", j.array, a.arrays_per_tile));
    const int logical_rows = a.array.rows - reserved_cols;  // offset: the last row is the reference line too
    check(j.rows <= logical_rows, "job.rows",
          fmt::format("{} rows do not fit the array's {} usable rows", j.rows, logical_rows));
    check(j.cols <= logical_cols, "job.cols",
          fmt::format("{} outputs do not fit: the {}-column array holds {} outputs of {} columns each", j.cols,
                      a.array.cols, logical_cols, cols_per_output));
    const int in_bytes = a.quantize ? 1 : 4;
    // Each array's weights are written through a 2 MiB window (spec/memory_map.h).
    check(int64_t(logical_rows) * logical_cols * in_bytes <= (int64_t(2) << 20), "arch.array.rows",
          fmt::format("{} rows x {} outputs of {}-byte weights exceed the 2 MiB weight window of an array",
                      a.array.rows, logical_cols, in_bytes));
    check(int64_t(j.rows) * in_bytes <= int64_t(a.buffers.input_kib) * 1024, "job.rows",
          "one input vector does not fit the input buffer");
    check(int64_t(j.cols) * 4 <= int64_t(a.buffers.output_kib) * 1024, "job.cols",
          "one output vector does not fit the output buffer");
    // DRAM the job needs, as firmware/mvm_job lays it out: program (18 commands of setup,
    // 22 per buffer-sized chunk of vectors, END), weights, inputs, outputs, 4 KiB aligned.
    const int64_t per_chunk = std::max<int64_t>(
        1, std::min<int64_t>({int64_t(j.batch), int64_t(a.buffers.input_kib) * 1024 / (int64_t(j.rows) * in_bytes),
                              int64_t(a.buffers.output_kib) * 1024 / (int64_t(j.cols) * 4)}));
    const int64_t chunks = (j.batch + per_chunk - 1) / per_chunk;
    const int64_t program_bytes = 16 + 16 * (19 + 22 * chunks);
    const int64_t job_bytes = program_bytes + int64_t(j.rows) * j.cols * in_bytes + int64_t(j.batch) * j.rows * in_bytes +
                              int64_t(j.batch) * j.cols * 4 + 3 * 4096;
    check(job_bytes <= int64_t(a.dram.size_mib) << 20, "job.batch",
          fmt::format("the job needs about {} bytes of DRAM, more than arch.dram.size_mib ({} MiB)", job_bytes,
                      a.dram.size_mib));
  }
  if (j.kind == "train") {
    const auto& t = c.train;
    // Training writes weights in place with pulses: one cell (pair) per weight.
    check(!a.quantize || slices == 1, "arch.weight_bits",
          fmt::format("in-situ training needs one cell per weight, but {}-bit weights on {}-bit cells take {} slices "
                      "(differential: weight_bits - 1 <= cell_bits; offset: weight_bits <= cell_bits)",
                      a.weight_bits, a.cell_bits, slices));
    check(t.checkpoint_every % t.eval_every == 0, "train.checkpoint_every",
          fmt::format("must be a multiple of train.eval_every ({})", t.eval_every));
    check(t.images >= c.network.batch, "train.images",
          fmt::format("{} images do not fill one batch of network.batch = {}", t.images, c.network.batch));
    check(t.score_reference <= t.images, "train.score_reference",
          fmt::format("more reference images ({}) than training images (train.images = {})", t.score_reference,
                      t.images));
    check(t.score_components < t.score_samples, "train.score_components",
          "must be below train.score_samples (the generated images' covariance needs more samples than dimensions)");
    check(t.mode != "timing" || t.optimizer != "sgd" || t.timing_pulses_per_weight.has_value(),
          "train.timing_pulses_per_weight",
          "train.mode timing with sgd needs it set: sgd's pulses follow the gradients' magnitudes (an analog run's "
          "report.json gives write_pulses per update)");
  }
  // An RTL block swapped in where the run never uses it would silently test nothing.
  if (a.rtl.shift_add == "rtl")
    check(j.kind == "mvm" && a.quantize, "arch.rtl.shift_add",
          "the RTL shift-and-add sits in the tiles' quantized MVM path: it needs job.kind mvm and arch.quantize true "
          "(training runs its arrays in the layer engine)");
  if (a.rtl.red_addr_gen == "rtl")
    check(j.kind == "train" && c.network.dataflow == "pixel_wise", "arch.rtl.red_addr_gen",
          "the RTL address generator serves pixel_wise scatters in training: it needs job.kind train and "
          "network.dataflow pixel_wise");
  const auto& tr = c.simulation.trace;
  if (tr.stop_ns) check(*tr.stop_ns > tr.start_ns, "simulation.trace.stop_ns", "must be after simulation.trace.start_ns");
  if (tr.stop_step)
    check(*tr.stop_step > tr.start_step, "simulation.trace.stop_step", "must be after simulation.trace.start_step");
  if (j.kind != "train")
    check(tr.start_step == 0 && !tr.stop_step, "simulation.trace.start_step",
          "a step window needs a training run (job.kind train); use start_ns/stop_ns");
  if (!errors.empty()) throw ConfigError(errors);
}

std::string dump_yaml(const Config& cfg_in, bool with_docs) {
  Config cfg = cfg_in;
  const auto fields = schema(cfg);
  std::ostringstream out;
  std::vector<std::string> open;  // section path components currently open
  for (const auto& f : fields) {
    std::vector<std::string> parts;
    std::stringstream ss(f.path);
    for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
    size_t common = 0;
    while (common < open.size() && common + 1 < parts.size() && open[common] == parts[common]) ++common;
    open.resize(common);
    for (size_t i = common; i + 1 < parts.size(); ++i) {
      out << std::string(2 * i, ' ') << parts[i] << ":\n";
      open.push_back(parts[i]);
    }
    out << std::string(2 * (parts.size() - 1), ' ') << parts.back() << ": " << f.value_text();
    if (with_docs) out << "  # " << f.doc << "; " << f.allowed();
    out << "\n";
  }
  return out.str();
}

nlohmann::json to_json(const Config& cfg_in) {
  Config cfg = cfg_in;
  nlohmann::json root = nlohmann::json::object();
  for (const auto& f : schema(cfg)) {
    nlohmann::json* node = &root;
    std::stringstream ss(f.path);
    std::vector<std::string> parts;
    for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
    for (size_t i = 0; i + 1 < parts.size(); ++i) node = &(*node)[parts[i]];
    nlohmann::json& leaf = (*node)[parts.back()];
    switch (f.kind) {
      case FieldKind::Int: leaf = *static_cast<int*>(f.target); break;
      case FieldKind::Int64: leaf = *static_cast<int64_t*>(f.target); break;
      case FieldKind::Real: leaf = *static_cast<double*>(f.target); break;
      case FieldKind::Bool: leaf = *static_cast<bool*>(f.target); break;
      case FieldKind::Choice:
      case FieldKind::Path:
      case FieldKind::Text: leaf = *static_cast<std::string*>(f.target); break;
      case FieldKind::AutoInt64: {
        const auto& v = *static_cast<std::optional<int64_t>*>(f.target);
        if (v) leaf = *v;
        else leaf = "auto";
        break;
      }
      case FieldKind::AutoReal: {
        const auto& v = *static_cast<std::optional<double>*>(f.target);
        if (v) leaf = *v;
        else leaf = "auto";
        break;
      }
    }
  }
  return root;
}

bool is_key(const std::string& path) {
  Config cfg;
  for (const auto& f : schema(cfg))
    if (f.path == path) return true;
  return false;
}

std::string key_suggestion(const std::string& path) {
  Config cfg;
  return suggestion(schema(cfg), path);
}

}  // namespace memgan::config
