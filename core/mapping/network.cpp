#include "core/mapping/network.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "core/nn/tensor.h"

namespace memgan::mapping {
namespace {

constexpr LayerType kLayerTypes[] = {LayerType::Linear,    LayerType::Conv2d, LayerType::ConvTranspose2d,
                                     LayerType::BatchNorm, LayerType::Relu,   LayerType::LeakyRelu,
                                     LayerType::Tanh,      LayerType::Sigmoid, LayerType::Reshape};

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

std::string shape_text(const std::vector<int>& s) {
  std::string t = "[";
  for (std::size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
  return t + "]";
}

class Parser {
 public:
  explicit Parser(std::string file) : file_(std::move(file)) {}

  Network parse(const YAML::Node& root) {
    if (!root.IsMap()) fail(root, "", "the top level must be a mapping with name and models");
    allow(root, "", {"name", "description", "models"});
    Network net;
    net.name = text(root, "name", "");
    if (root["description"]) net.description = text(root, "description", "");
    const YAML::Node models = required(root, "models", "");
    if (!models.IsMap() || models.size() == 0) fail(models, "models", "expected a mapping of model names to models");
    for (const auto& kv : models) {
      const std::string name = kv.first.Scalar();
      net.models.push_back(model(kv.second, "models." + name, name));
    }
    return net;
  }

 private:
  std::string where(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    if (m.is_null()) return file_;
    return fmt::format("{}:{}:{}", file_, m.line + 1, m.column + 1);
  }

  [[noreturn]] void fail(const YAML::Node& n, const std::string& key, const std::string& message) const {
    throw NetworkError(key.empty() ? fmt::format("{}: {}", where(n), message)
                                   : fmt::format("{}: {}: {}", where(n), key, message));
  }

  static std::string join_path(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  void allow(const YAML::Node& map, const std::string& path, const std::vector<std::string>& keys) const {
    std::set<std::string> seen;
    for (const auto& kv : map) {
      const std::string k = kv.first.Scalar();
      if (std::find(keys.begin(), keys.end(), k) == keys.end())
        fail(kv.first, join_path(path, k), fmt::format("unknown key (keys here: {})", join(keys)));
      if (!seen.insert(k).second) fail(kv.first, join_path(path, k), "duplicate key");
    }
  }

  YAML::Node required(const YAML::Node& map, const std::string& key, const std::string& path) const {
    const YAML::Node n = map[key];
    if (!n) fail(map, join_path(path, key), "missing");
    return n;
  }

  std::string text(const YAML::Node& map, const std::string& key, const std::string& path) const {
    const YAML::Node n = required(map, key, path);
    if (!n.IsScalar() || n.Scalar().empty()) fail(n, join_path(path, key), "expected a non-empty string");
    return n.Scalar();
  }

  int integer(const YAML::Node& map, const std::string& key, const std::string& path, int min, int fallback,
              bool needed) const {
    const YAML::Node n = map[key];
    if (!n) {
      if (needed) fail(map, join_path(path, key), "missing");
      return fallback;
    }
    int v = 0;
    if (!n.IsScalar() || !YAML::convert<int>::decode(n, v))
      fail(n, join_path(path, key), fmt::format("expected an integer >= {}, got '{}'", min, n.IsScalar() ? n.Scalar() : "a collection"));
    if (v < min) fail(n, join_path(path, key), fmt::format("expected an integer >= {}, got {}", min, v));
    return v;
  }

  bool boolean(const YAML::Node& map, const std::string& key, const std::string& path, bool fallback) const {
    const YAML::Node n = map[key];
    if (!n) return fallback;
    bool v = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v))
      fail(n, join_path(path, key), "expected true or false");
    return v;
  }

  float real(const YAML::Node& map, const std::string& key, const std::string& path, float fallback) const {
    const YAML::Node n = map[key];
    if (!n) return fallback;
    float v = 0;
    if (!n.IsScalar() || !YAML::convert<float>::decode(n, v)) fail(n, join_path(path, key), "expected a number");
    return v;
  }

  std::vector<int> shape(const YAML::Node& n, const std::string& key) const {
    if (!n.IsSequence() || n.size() == 0) fail(n, key, "expected a shape: a list of positive integers");
    std::vector<int> s;
    for (const auto& d : n) {
      int v = 0;
      if (!d.IsScalar() || !YAML::convert<int>::decode(d, v) || v < 1)
        fail(d, key, "expected a shape: a list of positive integers");
      s.push_back(v);
    }
    return s;
  }

  ModelSpec model(const YAML::Node& node, const std::string& path, const std::string& name) const {
    if (!node.IsMap()) fail(node, path, "expected a mapping with input and layers");
    allow(node, path, {"input", "layers"});
    ModelSpec m;
    m.name = name;
    m.input = shape(required(node, "input", path), path + ".input");
    const YAML::Node layers = required(node, "layers", path);
    if (!layers.IsSequence() || layers.size() == 0) fail(layers, path + ".layers", "expected a list of layers");
    std::vector<int> current = m.input;
    std::set<std::string> names;
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const std::string lp = fmt::format("{}.layers[{}]", path, i);
      m.layers.push_back(layer(layers[i], lp, current));
      if (!names.insert(m.layers.back().name).second)
        fail(layers[i]["name"], lp + ".name", fmt::format("duplicate layer name '{}'", m.layers.back().name));
      current = m.layers.back().output;
    }
    return m;
  }

  LayerSpec layer(const YAML::Node& node, const std::string& path, const std::vector<int>& previous) const {
    if (!node.IsMap()) fail(node, path, "expected a mapping (a layer)");
    LayerSpec l;
    l.where = where(node);
    l.name = text(node, "name", path);
    const YAML::Node type_node = required(node, "type", path);
    const std::string type = type_node.IsScalar() ? type_node.Scalar() : "";
    bool known = false;
    std::vector<std::string> type_names;
    for (const LayerType t : kLayerTypes) {
      type_names.push_back(layer_type_name(t));
      if (type == layer_type_name(t)) {
        l.type = t;
        known = true;
      }
    }
    if (!known) fail(type_node, path + ".type", fmt::format("unknown layer type '{}' ({})", type, join(type_names)));

    std::vector<std::string> keys = {"name", "type", "input", "output"};
    switch (l.type) {
      case LayerType::Linear: keys.insert(keys.end(), {"in_features", "out_features", "bias"}); break;
      case LayerType::ConvTranspose2d: keys.push_back("output_padding"); [[fallthrough]];
      case LayerType::Conv2d:
        keys.insert(keys.end(), {"in_channels", "out_channels", "kernel", "stride", "padding", "bias"});
        break;
      case LayerType::LeakyRelu: keys.push_back("slope"); break;
      default: break;
    }
    allow(node, path, keys);

    l.input = previous;
    if (const YAML::Node in = node["input"]) {
      l.input = shape(in, path + ".input");
      if (l.input != previous)
        fail(in, path + ".input",
             fmt::format("{} does not match the previous output {}", shape_text(l.input), shape_text(previous)));
    }
    const YAML::Node out_node = required(node, "output", path);
    l.output = shape(out_node, path + ".output");

    std::vector<int> expected;  // the output the parameters give
    const auto need_rank = [&](std::size_t rank, const char* what) {
      if (l.input.size() != rank)
        fail(node["input"] ? node["input"] : node, path + ".input",
             fmt::format("{} needs a {} input, got {}", layer_type_name(l.type), what, shape_text(l.input)));
    };
    switch (l.type) {
      case LayerType::Linear:
        l.in_features = integer(node, "in_features", path, 1, 0, true);
        l.out_features = integer(node, "out_features", path, 1, 0, true);
        l.bias = boolean(node, "bias", path, true);
        need_rank(1, "[features]");
        if (l.input[0] != l.in_features)
          fail(node["in_features"], path + ".in_features",
               fmt::format("{} does not match the input {}", l.in_features, shape_text(l.input)));
        expected = {l.out_features};
        break;
      case LayerType::Conv2d:
      case LayerType::ConvTranspose2d: {
        l.in_channels = integer(node, "in_channels", path, 1, 0, true);
        l.out_channels = integer(node, "out_channels", path, 1, 0, true);
        l.kernel = integer(node, "kernel", path, 1, 0, true);
        l.stride = integer(node, "stride", path, 1, 1, false);
        l.padding = integer(node, "padding", path, 0, 0, false);
        if (l.type == LayerType::ConvTranspose2d) l.output_padding = integer(node, "output_padding", path, 0, 0, false);
        l.bias = boolean(node, "bias", path, true);
        need_rank(3, "[channels, height, width]");
        if (l.input[0] != l.in_channels)
          fail(node["in_channels"], path + ".in_channels",
               fmt::format("{} does not match the input {}", l.in_channels, shape_text(l.input)));
        const ConvShape cs = l.conv_shape(1);
        try {
          cs.validate();
        } catch (const std::invalid_argument& e) {
          fail(node, path, e.what());
        }
        expected = {l.out_channels, cs.out_h(), cs.out_w()};
        break;
      }
      case LayerType::BatchNorm:
        if (l.input.size() != 1 && l.input.size() != 3)
          fail(node, path + ".input", fmt::format("batchnorm needs [features] or [channels, height, width], got {}",
                                                  shape_text(l.input)));
        expected = l.input;
        break;
      case LayerType::LeakyRelu:
        l.slope = real(node, "slope", path, 0.2f);
        expected = l.input;
        break;
      case LayerType::Reshape:
        if (nn::element_count(l.output) != nn::element_count(l.input))
          fail(out_node, path + ".output",
               fmt::format("{} has {} elements, the input {} has {}", shape_text(l.output),
                           nn::element_count(l.output), shape_text(l.input), nn::element_count(l.input)));
        expected = l.output;
        break;
      default: expected = l.input; break;
    }
    if (l.output != expected)
      fail(out_node, path + ".output",
           fmt::format("{} does not match what the layer computes, {}", shape_text(l.output), shape_text(expected)));
    return l;
  }

  std::string file_;
};

}  // namespace

int elementwise_ops_per_element(LayerType t, bool backward) {
  switch (t) {
    case LayerType::BatchNorm: return backward ? 12 : 8;  // mean, variance, normalise, scale+shift
    case LayerType::Relu: return 1;
    case LayerType::LeakyRelu: return 2;
    case LayerType::Tanh:
    case LayerType::Sigmoid: return backward ? 3 : 4;  // exp-based forward, y(1-y)-style backward
    case LayerType::Linear:
    case LayerType::Conv2d:
    case LayerType::ConvTranspose2d:
    case LayerType::Reshape: return 0;
  }
  return 0;
}

const char* layer_type_name(LayerType t) {
  switch (t) {
    case LayerType::Linear: return "linear";
    case LayerType::Conv2d: return "conv2d";
    case LayerType::ConvTranspose2d: return "conv_transpose2d";
    case LayerType::BatchNorm: return "batchnorm";
    case LayerType::Relu: return "relu";
    case LayerType::LeakyRelu: return "leaky_relu";
    case LayerType::Tanh: return "tanh";
    case LayerType::Sigmoid: return "sigmoid";
    case LayerType::Reshape: return "reshape";
  }
  return "?";
}

bool LayerSpec::on_crossbars() const {
  return type == LayerType::Linear || type == LayerType::Conv2d || type == LayerType::ConvTranspose2d;
}

ConvShape LayerSpec::conv_shape(int batch) const {
  if (type != LayerType::Conv2d && type != LayerType::ConvTranspose2d)
    throw std::logic_error("LayerSpec::conv_shape: layer '" + name + "' is not a convolution");
  ConvShape s;
  s.kind = type == LayerType::Conv2d ? ConvKind::Conv2d : ConvKind::ConvTranspose2d;
  s.batch = batch;
  s.in_channels = in_channels;
  s.out_channels = out_channels;
  s.in_h = input.size() == 3 ? input[1] : 1;
  s.in_w = input.size() == 3 ? input[2] : 1;
  s.kernel = kernel;
  s.stride = stride;
  s.padding = padding;
  s.output_padding = output_padding;
  return s;
}

const ModelSpec& Network::model(const std::string& model_name) const {
  for (const auto& m : models)
    if (m.name == model_name) return m;
  throw std::out_of_range("network '" + name + "' has no model '" + model_name + "'");
}

Network parse_network(const std::string& yaml_text, const std::string& origin) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& e) {
    throw NetworkError(fmt::format("{}:{}:{}: YAML syntax error: {}", origin, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  Network net = Parser(origin).parse(root);
  net.path = origin;
  return net;
}

Network load_network(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw NetworkError(path + ": cannot open the file");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_network(ss.str(), path);
}

}  // namespace memgan::mapping
