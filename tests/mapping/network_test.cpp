#include <gtest/gtest.h>

#include <string>

#include "core/mapping/network.h"

namespace memgan::mapping {
namespace {

const std::string kNets = std::string(MEMGAN_SOURCE_DIR) + "/configs/nets/";

TEST(Network, LoadsTheShippedNetworks) {
  const Network d28 = load_network(kNets + "dcgan28.yaml");
  EXPECT_EQ(d28.name, "dcgan28");
  ASSERT_EQ(d28.models.size(), 2u);
  const ModelSpec& g = d28.model("generator");
  EXPECT_EQ(g.input, std::vector<int>{100});
  EXPECT_EQ(g.layers.back().output, (std::vector<int>{1, 28, 28}));
  const LayerSpec& up1 = g.layers[4];
  EXPECT_EQ(up1.type, LayerType::ConvTranspose2d);
  EXPECT_EQ(up1.conv_shape(8).out_h(), 14);
  EXPECT_FALSE(up1.bias);
  EXPECT_EQ(d28.model("discriminator").layers.back().output, std::vector<int>{1});

  const Network d64 = load_network(kNets + "dcgan64.yaml");
  EXPECT_EQ(d64.model("generator").layers.back().output, (std::vector<int>{3, 64, 64}));
  EXPECT_EQ(d64.model("discriminator").layers.back().output, (std::vector<int>{1, 1, 1}));

  const Network mlp = load_network(kNets + "mlp_gan.yaml");
  int linear = 0;
  for (const auto& m : mlp.models)
    for (const auto& l : m.layers) linear += l.type == LayerType::Linear;
  EXPECT_EQ(linear, 7);
  EXPECT_THROW(mlp.model("critic"), std::out_of_range);
}

// parse_network with origin "net.yaml": messages start with net.yaml:line:col and the key.
void expect_error(const std::string& yaml, const std::string& where_and_key, const std::string& fragment) {
  try {
    parse_network(yaml, "net.yaml");
    FAIL() << "no error, expected " << where_and_key;
  } catch (const NetworkError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind("net.yaml:" + where_and_key, 0), 0u) << msg;
    EXPECT_NE(msg.find(fragment), std::string::npos) << msg;
  }
}

const std::string kHead = "name: t\nmodels:\n  g:\n    input: [4, 3, 3]\n    layers:\n";

TEST(Network, ErrorsNameFileLineColumnAndKey) {
  expect_error(kHead + "      - {name: a, type: conv_transpose2d, in_channels: 4, out_channels: 2, kernel: 4,\n"
                       "         stride: 2, padding: 1, output: [2, 7, 7]}\n",
               "7:41: models.g.layers[0].output", "does not match what the layer computes, [2, 6, 6]");
  expect_error(kHead + "      - {name: a, type: conv2d, in_channels: 4, out_channels: 2, kernal: 3, output: [2, 1, 1]}\n",
               "6:66: models.g.layers[0].kernal", "unknown key (keys here: name, type, input, output, in_channels");
  expect_error(kHead + "      - {name: a, type: deconv, output: [4, 3, 3]}\n", "6:25: models.g.layers[0].type",
               "unknown layer type 'deconv' (linear, conv2d, conv_transpose2d");
  expect_error(kHead + "      - {name: a, type: relu, input: [4, 3, 2], output: [4, 3, 2]}\n",
               "6:38: models.g.layers[0].input", "[4, 3, 2] does not match the previous output [4, 3, 3]");
  expect_error(kHead + "      - {name: a, type: conv2d, in_channels: 4, out_channels: 2, output: [2, 1, 1]}\n",
               "6:9: models.g.layers[0].kernel", "missing");
  expect_error(kHead + "      - {name: a, type: conv2d, in_channels: 4, out_channels: 2, kernel: x, output: [2, 1, 1]}\n",
               "6:74: models.g.layers[0].kernel", "expected an integer >= 1, got 'x'");
  expect_error(kHead + "      - {name: a, type: linear, in_features: 36, out_features: 2, output: [2]}\n",
               "6:9: models.g.layers[0].input", "linear needs a [features] input, got [4, 3, 3]");
  expect_error(kHead + "      - {name: a, type: reshape, output: [35]}\n", "6:42: models.g.layers[0].output",
               "[35] has 35 elements, the input [4, 3, 3] has 36");
  expect_error(kHead + "      - {name: a, type: relu, output: [4, 3, 3]}\n      - {name: a, type: tanh, output: [4, 3, 3]}\n",
               "7:16: models.g.layers[1].name", "duplicate layer name 'a'");
  expect_error(kHead + "      - {name: a, type: conv_transpose2d, in_channels: 4, out_channels: 2, kernel: 3,\n"
                       "         stride: 2, output_padding: 2, output: [2, 7, 7]}\n",
               "6:9: models.g.layers[0]", "output_padding must be in [0, stride)");
  expect_error("name: t\nmodel: {}\n", "2:1: model", "unknown key (keys here: name, description, models)");
  expect_error("name: t\n", "1:1: models", "missing");
  expect_error("name: [t\n", "2:1", "YAML syntax error");
  try {
    load_network("/nonexistent/net.yaml");
    FAIL();
  } catch (const NetworkError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/net.yaml: cannot open"), std::string::npos);
  }
}

}  // namespace
}  // namespace memgan::mapping
