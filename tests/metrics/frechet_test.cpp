// Frechet distance against closed forms (identical, mean shift, 1-D, diagonal) and against an
// independent brute-force tr((Ca Cb)^1/2) by Denman-Beavers iteration; the PCA feature space
// (orthonormal, ordered, deterministic sign, finds a planted direction).
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <random>
#include <vector>

#include "core/metrics/frechet.h"

namespace memgan::metrics {
namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

MatrixXd random_spd(int n, std::mt19937& rng) {
  std::normal_distribution<double> d;
  MatrixXd a(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) a(i, j) = d(rng);
  return a * a.transpose() + 0.1 * MatrixXd::Identity(n, n);
}

VectorXd random_vector(int n, std::mt19937& rng) {
  std::normal_distribution<double> d;
  VectorXd v(n);
  for (int i = 0; i < n; ++i) v[i] = d(rng);
  return v;
}

// count x dim samples of N(mean, L L^T), row-major floats.
std::vector<float> samples(const VectorXd& mean, const MatrixXd& l, int count, std::mt19937& rng) {
  const int dim = int(mean.size());
  std::vector<float> x(std::size_t(count) * std::size_t(dim));
  for (int r = 0; r < count; ++r) {
    const VectorXd s = mean + l * random_vector(int(l.cols()), rng);
    for (int c = 0; c < dim; ++c) x[std::size_t(r) * std::size_t(dim) + std::size_t(c)] = float(s[c]);
  }
  return x;
}

// Square root of a matrix without eigenvalues on the closed negative real axis, by the
// Denman-Beavers iteration Y <- (Y + Z^-1) / 2, Z <- (Z + Y^-1) / 2 from Y = A, Z = I.
MatrixXd denman_beavers_sqrt(const MatrixXd& a) {
  MatrixXd y = a, z = MatrixXd::Identity(a.rows(), a.cols());
  for (int k = 0; k < 100; ++k) {
    const MatrixXd y_next = 0.5 * (y + z.inverse());
    z = 0.5 * (z + y.inverse());
    const double change = (y_next - y).norm();
    y = y_next;
    if (change <= 1e-15 * y.norm()) break;
  }
  return y;
}

TEST(Frechet, IdenticalStatisticsGiveZero) {
  std::mt19937 rng(1);
  for (const int n : {1, 3, 16, 64}) {
    Gaussian g{random_vector(n, rng), random_spd(n, rng)};
    EXPECT_LE(frechet_distance(g, g), 1e-9 * 2 * g.cov.trace()) << "n = " << n;
    // A singular covariance (rank 1): eigenvalues rounding below 0 are clamped, not NaN.
    const VectorXd u = random_vector(n, rng);
    Gaussian s{g.mean, u * u.transpose()};
    const double d = frechet_distance(s, s);
    EXPECT_TRUE(std::isfinite(d));
    EXPECT_LE(d, 1e-7 * 2 * s.cov.trace()) << "n = " << n;
  }
}

TEST(Frechet, PureMeanShiftIsSquaredDistance) {
  std::mt19937 rng(2);
  for (const int n : {1, 4, 32}) {
    const MatrixXd c = random_spd(n, rng);
    const VectorXd m = random_vector(n, rng), shift = random_vector(n, rng);
    const double expected = shift.squaredNorm();
    EXPECT_NEAR(frechet_distance({m, c}, {m + shift, c}), expected, 1e-9 * (expected + 2 * c.trace())) << "n = " << n;
  }
}

TEST(Frechet, OneDimensionalClosedForm) {
  for (const auto& [m1, s1, m2, s2] : std::vector<std::array<double, 4>>{
           {0, 1, 0, 1}, {1.5, 2, -0.5, 0.5}, {3, 0.1, 3, 4}, {-2, 0, 1, 1}}) {
    const Gaussian a{VectorXd::Constant(1, m1), MatrixXd::Constant(1, 1, s1 * s1)};
    const Gaussian b{VectorXd::Constant(1, m2), MatrixXd::Constant(1, 1, s2 * s2)};
    const double expected = (m1 - m2) * (m1 - m2) + (s1 - s2) * (s1 - s2);
    EXPECT_NEAR(frechet_distance(a, b), expected, 1e-12 * (1 + expected));
    EXPECT_NEAR(frechet_distance(b, a), expected, 1e-12 * (1 + expected));  // symmetric
  }
}

TEST(Frechet, DiagonalCovariancesClosedForm) {
  const VectorXd va = (VectorXd(5) << 1, 4, 0.25, 9, 0).finished();
  const VectorXd vb = (VectorXd(5) << 2, 1, 0.25, 16, 3).finished();
  const VectorXd ma = (VectorXd(5) << 0, 1, 2, 3, 4).finished();
  const VectorXd mb = (VectorXd(5) << 1, 1, 0, 3, 4).finished();
  double expected = (ma - mb).squaredNorm();
  for (int i = 0; i < 5; ++i) expected += std::pow(std::sqrt(va[i]) - std::sqrt(vb[i]), 2);
  EXPECT_NEAR(frechet_distance({ma, va.asDiagonal()}, {mb, vb.asDiagonal()}), expected, 1e-12 * expected);
}

TEST(Frechet, MatchesBruteForceOnRandom3x3) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 20; ++trial) {
    const Gaussian a{random_vector(3, rng), random_spd(3, rng)};
    const Gaussian b{random_vector(3, rng), random_spd(3, rng)};
    // The textbook form tr(Ca + Cb - 2 (Ca Cb)^1/2): Ca Cb is not symmetric, but similar to
    // Ca^1/2 Cb Ca^1/2, so its eigenvalues are positive and the iteration converges.
    const double tr_sqrt = denman_beavers_sqrt(a.cov * b.cov).trace();
    const double expected = (a.mean - b.mean).squaredNorm() + a.cov.trace() + b.cov.trace() - 2 * tr_sqrt;
    EXPECT_NEAR(frechet_distance(a, b), expected, 1e-9 * (a.cov.trace() + b.cov.trace())) << "trial " << trial;
  }
}

TEST(Frechet, RejectsMismatchedDimensions) {
  const Gaussian a{VectorXd::Zero(2), MatrixXd::Identity(2, 2)};
  const Gaussian b{VectorXd::Zero(3), MatrixXd::Identity(3, 3)};
  EXPECT_THROW(frechet_distance(a, b), std::invalid_argument);
  EXPECT_THROW(frechet_distance(a, Gaussian{VectorXd::Zero(2), MatrixXd::Identity(3, 3)}), std::invalid_argument);
}

TEST(FitGaussian, UnbiasedMeanAndCovariance) {
  // Three 2-D samples: mean (2, 1); deviations (-1, -1), (0, 2), (1, -1).
  const std::vector<float> x{1, 0, 2, 3, 3, 0};
  const Gaussian g = fit_gaussian(x.data(), 3, 2);
  EXPECT_DOUBLE_EQ(g.mean[0], 2.0);
  EXPECT_DOUBLE_EQ(g.mean[1], 1.0);
  EXPECT_DOUBLE_EQ(g.cov(0, 0), 2.0 / 2);  // 1 + 0 + 1 over n - 1 = 2
  EXPECT_DOUBLE_EQ(g.cov(1, 1), 6.0 / 2);
  EXPECT_DOUBLE_EQ(g.cov(0, 1), 0.0);
  EXPECT_DOUBLE_EQ(g.cov(1, 0), 0.0);
  EXPECT_THROW(fit_gaussian(x.data(), 1, 2), std::invalid_argument);
}

TEST(FitGaussian, BlocksCoverEveryRow) {
  // More rows than one accumulation block, not a multiple of it.
  std::mt19937 rng(4);
  const int n = 2500, dim = 3;
  const std::vector<float> x = samples(random_vector(dim, rng), random_spd(dim, rng), n, rng);
  const Gaussian g = fit_gaussian(x.data(), n, dim);
  VectorXd mean = VectorXd::Zero(dim);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < dim; ++c) mean[c] += x[std::size_t(r * dim + c)];
  mean /= n;
  MatrixXd cov = MatrixXd::Zero(dim, dim);
  for (int r = 0; r < n; ++r) {
    VectorXd d(dim);
    for (int c = 0; c < dim; ++c) d[c] = x[std::size_t(r * dim + c)] - mean[c];
    cov += d * d.transpose();
  }
  cov /= n - 1;
  EXPECT_LE((g.mean - mean).norm(), 1e-12 * (1 + mean.norm()));
  EXPECT_LE((g.cov - cov).norm(), 1e-12 * cov.norm());
}

// Samples along a planted unit direction u (std 5) plus isotropic noise (std 0.3).
struct Planted {
  std::vector<float> x;
  VectorXd u;
};
Planted planted(int count, int dim, std::mt19937& rng) {
  Planted p;
  p.u = random_vector(dim, rng).normalized();
  MatrixXd l = 0.3 * MatrixXd::Identity(dim, dim + 1);
  l.col(dim) = 5 * p.u;
  p.x = samples(random_vector(dim, rng), l, count, rng);
  return p;
}

TEST(Pca, OrthonormalOrderedAndFindsPlantedDirection) {
  std::mt19937 rng(5);
  const int count = 3000, dim = 12, k = 4;
  const Planted p = planted(count, dim, rng);
  const PcaFeatures pca = PcaFeatures::fit(p.x.data(), count, dim, k);
  ASSERT_EQ(pca.components(), k);
  ASSERT_EQ(pca.dim(), dim);
  EXPECT_LE((pca.basis() * pca.basis().transpose() - MatrixXd::Identity(k, k)).norm(), 1e-12);
  for (int i = 1; i < k; ++i) EXPECT_GE(pca.variances()[i - 1], pca.variances()[i]);
  EXPECT_GT(std::abs(pca.basis().row(0).dot(p.u)), 0.999);
  EXPECT_NEAR(pca.variances()[0], 25 + 0.09, 2.0);  // sampling error of a 3000-sample estimate
  for (int i = 0; i < k; ++i) {
    Eigen::Index big;
    pca.basis().row(i).cwiseAbs().maxCoeff(&big);
    EXPECT_GT(pca.basis()(i, big), 0) << "component " << i << " sign convention";
  }
}

TEST(Pca, ProjectionAndDeterminism) {
  std::mt19937 rng(6);
  const int count = 500, dim = 6, k = 3;
  const Planted p = planted(count, dim, rng);
  const PcaFeatures a = PcaFeatures::fit(p.x.data(), count, dim, k);
  const PcaFeatures b = PcaFeatures::fit(p.x.data(), count, dim, k);
  EXPECT_EQ(a.basis(), b.basis());  // bit for bit
  EXPECT_EQ(a.mean(), b.mean());

  std::vector<float> f(std::size_t(count) * k);
  a.project(p.x.data(), count, f.data());
  for (int r : {0, 17, count - 1}) {
    VectorXd x(dim);
    for (int c = 0; c < dim; ++c) x[c] = p.x[std::size_t(r * dim + c)];
    const VectorXd expected = a.basis() * (x - a.mean());
    for (int j = 0; j < k; ++j) EXPECT_NEAR(f[std::size_t(r * k + j)], expected[j], 1e-5) << r << ", " << j;
  }
  // The features are centred and their variances are the eigenvalues.
  const Gaussian g = fit_gaussian(f.data(), count, k);
  EXPECT_LE(g.mean.norm(), 1e-5);
  for (int j = 0; j < k; ++j) EXPECT_NEAR(g.cov(j, j), a.variances()[j], 1e-5 * a.variances()[0]);

  EXPECT_THROW(PcaFeatures::fit(p.x.data(), count, dim, dim + 1), std::invalid_argument);
  EXPECT_THROW(PcaFeatures::fit(p.x.data(), count, dim, 0), std::invalid_argument);
  EXPECT_THROW(PcaFeatures::fit(p.x.data(), 1, dim, 1), std::invalid_argument);
}

TEST(FrechetScore, ZeroOnTheRealSetAndGrowsWithDistance) {
  std::mt19937 rng(7);
  const int count = 2000, dim = 20, k = 5;
  const VectorXd mean = random_vector(dim, rng);
  const MatrixXd l = random_spd(dim, rng).llt().matrixL();
  const std::vector<float> real = samples(mean, l, count, rng);
  const FrechetScore fs(real.data(), count, dim, k);
  const double scale = fs.real().cov.trace();
  EXPECT_LE(fs.score(real.data(), count), 1e-9 * scale);
  const double same = fs.score(samples(mean, l, count, rng).data(), count);
  const double shifted = fs.score(samples(mean + VectorXd::Constant(dim, 1.0), l, count, rng).data(), count);
  const double wider = fs.score(samples(mean, 2 * l, count, rng).data(), count);
  EXPECT_LT(same, 0.05 * scale);  // a fresh sample of the same distribution: sampling error only
  EXPECT_GT(shifted, 10 * same);
  EXPECT_GT(wider, 10 * same);
  EXPECT_THROW(fs.score(real.data(), 1), std::invalid_argument);
}

}  // namespace
}  // namespace memgan::metrics
