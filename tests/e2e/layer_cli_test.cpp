// memgan layer: one layer through the modeled arrays on .npy operands, compared against a
// plain-loop conv_transpose2d written here from PyTorch's definition.
#include <sys/wait.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "core/nn/npy.h"

namespace fs = std::filesystem;
using memgan::nn::Tensor;

namespace {

const std::string kBinary = std::string(MEMGAN_BINARY_DIR) + "/memgan";
const std::string kConfig = std::string(MEMGAN_SOURCE_DIR) + "/configs/default.yaml";
const std::string kIdeal = std::string(MEMGAN_SOURCE_DIR) + "/configs/devices/ideal.yaml";

int run(const std::string& args, const fs::path& log) {
  const int status = std::system((kBinary + " " + args + " >" + log.string() + " 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Tensor random_tensor(std::vector<int> shape, unsigned seed) {
  Tensor t(std::move(shape));
  for (size_t i = 0; i < t.data.size(); ++i) {
    seed = seed * 1103515245u + 12345u;
    t.data[i] = static_cast<float>((seed >> 8) % 2001) / 1000.0f - 1.0f;
  }
  return t;
}

// y[n, co, oy, ox] = b[co] + sum over ci, ky, kx with oy = iy*S + ky - P (same for x) of
// x[n, ci, iy, ix] * w[ci, co, ky, kx]   (PyTorch ConvTranspose2d)
std::vector<double> conv_transpose_reference(const Tensor& x, const Tensor& w, const Tensor& b, int S, int P, int OP,
                                             int& ho, int& wo) {
  const int N = x.shape[0], Ci = x.shape[1], H = x.shape[2], W = x.shape[3];
  const int Co = w.shape[1], K = w.shape[2];
  ho = (H - 1) * S - 2 * P + K + OP;
  wo = (W - 1) * S - 2 * P + K + OP;
  std::vector<double> y(size_t(N) * Co * ho * wo, 0.0);
  for (int n = 0; n < N; ++n)
    for (int co = 0; co < Co; ++co)
      for (int oy = 0; oy < ho; ++oy)
        for (int ox = 0; ox < wo; ++ox) y[((size_t(n) * Co + co) * ho + oy) * wo + ox] = b.data[co];
  for (int n = 0; n < N; ++n)
    for (int ci = 0; ci < Ci; ++ci)
      for (int iy = 0; iy < H; ++iy)
        for (int ix = 0; ix < W; ++ix)
          for (int co = 0; co < Co; ++co)
            for (int ky = 0; ky < K; ++ky)
              for (int kx = 0; kx < K; ++kx) {
                const int oy = iy * S + ky - P, ox = ix * S + kx - P;
                if (oy < 0 || ox < 0 || oy >= ho || ox >= wo) continue;
                y[((size_t(n) * Co + co) * ho + oy) * wo + ox] +=
                    double(x.data[((size_t(n) * Ci + ci) * H + iy) * W + ix]) *
                    w.data[((size_t(ci) * Co + co) * K + ky) * K + kx];
              }
  return y;
}

class LayerCli : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("memgan_layer_" + std::to_string(::getpid()) + "_" +
                                        std::to_string(reinterpret_cast<uintptr_t>(this)));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  fs::path dir_;
};

}  // namespace

TEST_P(LayerCli, ConvTransposeMatchesPyTorchSemanticsOnIdealArrays) {
  const Tensor x = random_tensor({2, 3, 5, 4}, 1), w = random_tensor({3, 4, 5, 5}, 2), b = random_tensor({4}, 3);
  memgan::nn::write_npy((dir_ / "x.npy").string(), x);
  memgan::nn::write_npy((dir_ / "w.npy").string(), w);
  memgan::nn::write_npy((dir_ / "b.npy").string(), b);
  const std::string args = "layer conv_transpose2d --input " + (dir_ / "x.npy").string() + " --weight " +
                           (dir_ / "w.npy").string() + " --bias " + (dir_ / "b.npy").string() +
                           " --stride 2 --padding 1 --output-padding 1 --dataflow " + GetParam() + " --config " +
                           kConfig + " --preset " + kIdeal + " --out " + (dir_ / "out").string();
  ASSERT_EQ(run(args, dir_ / "log.txt"), 0) << slurp(dir_ / "log.txt");
  int ho = 0, wo = 0;
  const auto ref = conv_transpose_reference(x, w, b, 2, 1, 1, ho, wo);
  const Tensor y = memgan::nn::read_npy((dir_ / "out" / "output.npy").string());
  ASSERT_EQ(y.shape, (std::vector<int>{2, 4, ho, wo}));
  double max_err = 0, max_ref = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    max_err = std::max(max_err, std::fabs(ref[i] - y.data[i]));
    max_ref = std::max(max_ref, std::fabs(ref[i]));
  }
  EXPECT_LT(max_err, 1e-5 * max_ref) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Dataflows, LayerCli, ::testing::Values("zero_insertion", "zero_free", "pixel_wise"));

TEST(LayerCliErrors, TruncatedNpyIsAClearError) {
  const fs::path dir = fs::temp_directory_path() / ("memgan_layer_err_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  memgan::nn::write_npy((dir / "w.npy").string(), random_tensor({2, 2}, 4));
  {
    std::ofstream f(dir / "x.npy", std::ios::binary);
    const std::string good = slurp(dir / "w.npy");
    f << good.substr(0, good.size() - 3);
  }
  const int rc = run("layer linear --input " + (dir / "x.npy").string() + " --weight " + (dir / "w.npy").string() +
                         " --config " + kConfig + " --out " + (dir / "out").string(),
                     dir / "log.txt");
  const std::string log = slurp(dir / "log.txt");
  EXPECT_EQ(rc, 2) << log;
  EXPECT_NE(log.find((dir / "x.npy").string()), std::string::npos) << log;
  fs::remove_all(dir);
}
