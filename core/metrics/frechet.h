// Frechet distance between Gaussians fitted to image features (the FID formula), in a feature
// space of the top principal components of the real training images instead of Inception
// activations: no pretrained network to ship, and deterministic for the same real images.
// Lower is better; 0 for identical feature statistics. Scores are comparable only under the
// same PcaFeatures (same real images, same number of components).
//
// All arithmetic is in double. Bad arguments throw std::invalid_argument.
#pragma once

#include <Eigen/Dense>

namespace memgan::metrics {

class PcaFeatures {
 public:
  // images: count x dim floats, row-major. Keeps the mean and the `components` eigenvectors of
  // the (unbiased) covariance with the largest eigenvalues, in decreasing order. Eigenvectors
  // have no sign of their own: each is flipped so its largest-|value| entry (the first such on
  // a tie) is positive, which makes the features the same in every run.
  static PcaFeatures fit(const float* images, int count, int dim, int components);

  // features: count x components, row-major: basis * (x - mean).
  void project(const float* images, int count, float* features) const;

  int components() const { return int(basis_.rows()); }
  int dim() const { return int(basis_.cols()); }
  const Eigen::VectorXd& mean() const { return mean_; }
  const Eigen::MatrixXd& basis() const { return basis_; }          // components x dim, orthonormal rows
  const Eigen::VectorXd& variances() const { return variances_; }  // eigenvalue of each row, decreasing

 private:
  Eigen::VectorXd mean_;
  Eigen::MatrixXd basis_;
  Eigen::VectorXd variances_;
};

struct Gaussian {
  Eigen::VectorXd mean;
  Eigen::MatrixXd cov;
};

// features: count x dim, row-major; count >= 2 (unbiased covariance, divisor count - 1).
Gaussian fit_gaussian(const float* features, int count, int dim);

// |mu_a - mu_b|^2 + tr(Ca + Cb - 2 (Ca^1/2 Cb Ca^1/2)^1/2), both square roots through symmetric
// eigendecompositions with eigenvalues clamped at 0 (covariances are PSD up to rounding).
// Never negative.
double frechet_distance(const Gaussian& a, const Gaussian& b);

// Fits the PCA and the real images' Gaussian once; score() then costs one projection and one
// components x components distance.
class FrechetScore {
 public:
  FrechetScore(const float* real_images, int count, int dim, int components);
  // images: count x dim floats (count >= 2) in the same value range as the real images.
  double score(const float* images, int count) const;

  const PcaFeatures& pca() const { return pca_; }
  const Gaussian& real() const { return real_; }

 private:
  PcaFeatures pca_;
  Gaussian real_;
};

}  // namespace memgan::metrics
