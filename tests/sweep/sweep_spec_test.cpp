// Sweep files: expansion order and counts, zipped and crossed axes, errors naming
// file:line:col, stable point identities, and the Pareto front against a brute-force check.
#include <random>

#include <gtest/gtest.h>

#include "core/sweep/sweep_spec.h"

namespace {

using namespace memgan::sweep;

std::string error_of(const std::string& yaml) {
  try {
    parse_sweep(yaml, "/s/sw.yaml");
  } catch (const SweepError& e) {
    return e.what();
  }
  return "";
}

TEST(Sweep, CrossedAxesExpandLastKeyFastestInsideZipRows) {
  const SweepSpec s = parse_sweep(R"(base: ../default.yaml
presets: [p.yaml]
set: {train.mode: timing, train.steps: 2}
cross:
  network.dataflow: [zero_free, pixel_wise]
  arch.tiles: [4, 8, 16]
zip:
  arch.array.rows: [128, 256]
  arch.array.cols: [128, 256]
)",
                                  "/s/sweeps/sw.yaml");
  EXPECT_EQ(s.base, "/s/default.yaml");
  ASSERT_EQ(s.presets.size(), 1u);
  EXPECT_EQ(s.presets[0], "/s/sweeps/p.yaml");
  const auto points = expand(s);
  ASSERT_EQ(points.size(), 2u * 2u * 3u);
  EXPECT_EQ(points[0].label(), "arch.array.rows=128 arch.array.cols=128 network.dataflow=zero_free arch.tiles=4");
  EXPECT_EQ(points[1].label(), "arch.array.rows=128 arch.array.cols=128 network.dataflow=zero_free arch.tiles=8");
  EXPECT_EQ(points[3].label(), "arch.array.rows=128 arch.array.cols=128 network.dataflow=pixel_wise arch.tiles=4");
  EXPECT_EQ(points[6].label(), "arch.array.rows=256 arch.array.cols=256 network.dataflow=zero_free arch.tiles=4");
  const auto o = points[11].overrides(s);
  const std::vector<std::string> want = {"train.mode=timing",      "train.steps=2",         "arch.array.rows=256",
                                         "arch.array.cols=256",    "network.dataflow=pixel_wise", "arch.tiles=16"};
  EXPECT_EQ(o, want);
  EXPECT_EQ(points[4].values[2].second.where, "/s/sweeps/sw.yaml:5:33");
}

TEST(Sweep, ErrorsNameTheFileLineColumnAndKey) {
  EXPECT_NE(error_of("base: d.yaml\ncross:\n  arch.tile: [1, 2]\n").find("/s/sw.yaml:3:3: cross: 'arch.tile' is not a "
                                                                         "config key (did you mean 'arch.tiles'?)"),
            std::string::npos)
      << error_of("base: d.yaml\ncross:\n  arch.tile: [1, 2]\n");
  EXPECT_NE(error_of("base: d.yaml\nzip:\n  arch.tiles: [1, 2]\n  arch.arrays_per_tile: [1]\n")
                .find("/s/sw.yaml:4:26: zip.arch.arrays_per_tile: 1 values, but zip.arch.tiles has 2"),
            std::string::npos);
  EXPECT_NE(error_of("cross:\n  arch.tiles: [1]\n").find("base: the config every point starts from is required"),
            std::string::npos);
  EXPECT_NE(error_of("base: d.yaml\n").find("nothing to sweep"), std::string::npos);
  EXPECT_NE(error_of("base: d.yaml\naxes:\n  arch.tiles: [1]\n").find("/s/sw.yaml:2:1: unknown key 'axes'"),
            std::string::npos);
  EXPECT_NE(error_of("base: d.yaml\ncross:\n  arch.tiles: []\n").find("cross.arch.tiles: must be a non-empty list"),
            std::string::npos);
  EXPECT_NE(error_of("base: d.yaml\ncross:\n  arch.tiles: [[1, 2]]\n").find("a value must be a scalar"),
            std::string::npos);
  EXPECT_NE(error_of("base: d.yaml\nset: {arch.tiles: 4}\ncross:\n  arch.tiles: [1]\n")
                .find("'arch.tiles' is set or swept more than once"),
            std::string::npos);
  EXPECT_NE(error_of("base: d.yaml\ncross: [1\n").find("/s/sw.yaml:"), std::string::npos);
  EXPECT_THROW(load_sweep("/nonexistent/sweep.yaml"), SweepError);
}

TEST(Sweep, PointIdsAreStableAndTellConfigsApart) {
  EXPECT_EQ(point_id(""), "cbf29ce484222325");  // FNV-1a 64 offset basis
  EXPECT_EQ(point_id("a"), "af63dc4c8601ec8c");  // the published test vector
  EXPECT_NE(point_id("arch:\n  tiles: 4\n"), point_id("arch:\n  tiles: 8\n"));
}

TEST(Sweep, ParetoFrontIsWhatNoOtherPointBeats) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> d(0, 20);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<std::pair<double, double>> pts;
    for (int i = 0; i < 12; ++i) pts.push_back({double(d(rng)), double(d(rng))});
    if (trial == 0) pts.push_back({NAN, 0});
    std::vector<size_t> want;
    for (size_t i = 0; i < pts.size(); ++i) {
      if (!std::isfinite(pts[i].first)) continue;
      bool beaten = false;
      for (size_t j = 0; j < pts.size(); ++j)
        beaten = beaten || (pts[j].first <= pts[i].first && pts[j].second <= pts[i].second && pts[j] != pts[i]);
      if (!beaten) want.push_back(i);
    }
    std::vector<size_t> got = pareto_front(pts);
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want) << "trial " << trial;
  }
}

}  // namespace
