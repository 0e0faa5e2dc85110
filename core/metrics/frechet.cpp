#include "core/metrics/frechet.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace memgan::metrics {
namespace {

template <typename T>
using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Rows per block: 60000 x 784 images are never held in double at once.
constexpr int kBlock = 1024;

void check(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument(what);
}

// Mean and unbiased covariance of the rows of x (count x dim). Two passes (mean, then centred
// products) rather than sum-of-squares minus squared mean, which cancels badly.
template <typename T>
Gaussian moments(const Eigen::Ref<const RowMajor<T>>& x) {
  const Eigen::Index count = x.rows(), dim = x.cols();
  Gaussian g;
  g.mean = Eigen::VectorXd::Zero(dim);
  for (Eigen::Index r = 0; r < count; r += kBlock) {
    const Eigen::Index n = std::min<Eigen::Index>(kBlock, count - r);
    g.mean += x.middleRows(r, n).template cast<double>().colwise().sum().transpose();
  }
  g.mean /= double(count);
  g.cov = Eigen::MatrixXd::Zero(dim, dim);
  for (Eigen::Index r = 0; r < count; r += kBlock) {
    const RowMajor<double> c =
        x.middleRows(r, std::min<Eigen::Index>(kBlock, count - r)).template cast<double>().rowwise() -
        g.mean.transpose();
    g.cov.selfadjointView<Eigen::Lower>().rankUpdate(c.transpose());  // cov += c^T c, lower half only
  }
  g.cov = g.cov.selfadjointView<Eigen::Lower>();
  g.cov /= double(count - 1);
  return g;
}

// basis * (x - mean) for every row of x, in double.
RowMajor<double> project_rows(const PcaFeatures& pca, const float* images, int count) {
  const Eigen::Map<const RowMajor<float>> x(images, count, pca.dim());
  RowMajor<double> f(count, pca.components());
  for (Eigen::Index r = 0; r < count; r += kBlock) {
    const Eigen::Index n = std::min<Eigen::Index>(kBlock, count - r);
    const RowMajor<double> c = x.middleRows(r, n).cast<double>().rowwise() - pca.mean().transpose();
    f.middleRows(r, n).noalias() = c * pca.basis().transpose();
  }
  return f;
}

Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(const Eigen::MatrixXd& m, int options) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(m, options);
  if (es.info() != Eigen::Success) throw std::runtime_error("frechet: symmetric eigendecomposition did not converge");
  return es;
}

}  // namespace

PcaFeatures PcaFeatures::fit(const float* images, int count, int dim, int components) {
  check(images != nullptr, "PcaFeatures::fit: no images");
  check(count >= 2, "PcaFeatures::fit: need at least 2 images, got " + std::to_string(count));
  check(dim >= 1 && components >= 1 && components <= dim,
        "PcaFeatures::fit: components must be in 1..dim; got " + std::to_string(components) + " for dim " +
            std::to_string(dim));
  const Gaussian g = moments<float>(Eigen::Map<const RowMajor<float>>(images, count, dim));
  const auto es = eigen(g.cov, Eigen::ComputeEigenvectors);  // eigenvalues ascending

  PcaFeatures p;
  p.mean_ = g.mean;
  p.basis_.resize(components, dim);
  p.variances_.resize(components);
  for (int k = 0; k < components; ++k) {
    const Eigen::Index col = dim - 1 - k;
    Eigen::VectorXd v = es.eigenvectors().col(col);
    Eigen::Index big = 0;
    for (Eigen::Index i = 1; i < dim; ++i)
      if (std::abs(v[i]) > std::abs(v[big])) big = i;
    if (v[big] < 0) v = -v;
    p.basis_.row(k) = v.transpose();
    p.variances_[k] = es.eigenvalues()[col];
  }
  return p;
}

void PcaFeatures::project(const float* images, int count, float* features) const {
  check(count >= 0 && (count == 0 || (images && features)), "PcaFeatures::project: no images or no output");
  if (count == 0) return;
  Eigen::Map<RowMajor<float>>(features, count, components()) = project_rows(*this, images, count).cast<float>();
}

Gaussian fit_gaussian(const float* features, int count, int dim) {
  check(features != nullptr && dim >= 1, "fit_gaussian: no features");
  check(count >= 2, "fit_gaussian: need at least 2 samples for an unbiased covariance, got " + std::to_string(count));
  return moments<float>(Eigen::Map<const RowMajor<float>>(features, count, dim));
}

double frechet_distance(const Gaussian& a, const Gaussian& b) {
  const Eigen::Index n = a.mean.size();
  check(n >= 1 && b.mean.size() == n && a.cov.rows() == n && a.cov.cols() == n && b.cov.rows() == n &&
            b.cov.cols() == n,
        "frechet_distance: Gaussians of different or inconsistent dimensions (" + std::to_string(a.mean.size()) +
            " and " + std::to_string(b.mean.size()) + ")");
  // Ca^1/2 = V diag(sqrt(max(l, 0))) V^T.
  const auto ea = eigen(a.cov, Eigen::ComputeEigenvectors);
  const Eigen::MatrixXd sqrt_a =
      ea.eigenvectors() * ea.eigenvalues().cwiseMax(0.0).cwiseSqrt().asDiagonal() * ea.eigenvectors().transpose();
  // Ca^1/2 Cb Ca^1/2 is symmetric PSD (unlike Ca Cb), so its square root's trace is the sum of
  // the square roots of its eigenvalues; symmetrize away the rounding asymmetry first.
  Eigen::MatrixXd m = sqrt_a * b.cov * sqrt_a;
  m = (0.5 * (m + m.transpose())).eval();
  const double tr_sqrt = eigen(m, Eigen::EigenvaluesOnly).eigenvalues().cwiseMax(0.0).cwiseSqrt().sum();
  const double d = (a.mean - b.mean).squaredNorm() + a.cov.trace() + b.cov.trace() - 2.0 * tr_sqrt;
  return std::max(d, 0.0);  // rounding can leave -1e-16 for identical statistics
}

FrechetScore::FrechetScore(const float* real_images, int count, int dim, int components)
    : pca_(PcaFeatures::fit(real_images, count, dim, components)),
      real_(moments<double>(project_rows(pca_, real_images, count))) {}

double FrechetScore::score(const float* images, int count) const {
  check(images != nullptr, "FrechetScore::score: no images");
  check(count >= 2, "FrechetScore::score: need at least 2 images, got " + std::to_string(count));
  return frechet_distance(real_, moments<double>(project_rows(pca_, images, count)));
}

}  // namespace memgan::metrics
