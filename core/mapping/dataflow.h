// Convolution layers lowered onto an MVM engine with one of three dataflows (docs/dataflows.md).
//
// Both layer kinds relate a small tensor A (N x Ca x h x w) to a big one B (N x Cb x Hb x Wb)
// through b = a*S + k - P per axis, with a weight tensor Wt of Ca x Cb x K x K, which is exactly
// PyTorch's layout for both:
//   ConvTranspose2d: A = input, B = output, Wt = weight (Cin x Cout x K x K)
//                    forward = scatter A -> B, backward-data = gather dB -> dA
//   Conv2d:          A = output, B = input, Wt = weight (Cout x Cin x K x K)
//                    forward = gather B -> A, backward-data = scatter dA -> dB
//                    (scatter output padding (Hin + 2P - K) mod S restores Hin)
//   backward-weight: dWt[ca, cb, k] = sum_{n, a} A[a] B[a*S + k - P]   (both kinds)
//
// Matrices (rows x cols; vector element order (ky, kx, channel), channel fastest):
//   M_zi  (K*K*Ca) x Cb   flipped kernel, stride-1 convolution over zero-inserted A
//   M_g   (K*K*Cb) x Ca   gather: windows of B
//   M_px  Ca x (K*K*Cb)   scatter: one A pixel -> its K x K x Cb patch
//   P_r   (Kr_y*Kr_x*Ca) x Cb   ZARA phase sub-kernel, taps k = r + m*S, one per phase (ry, rx)
//
// Resident matrices per dataflow (the same set for both kinds; the pass that runs forward mode
// on a matrix depends on the kind):
//   zero_insertion  M_zi + M_g
//     scatter: M_zi over the zero-inserted, padded A, stride 1: Hb*Wb MVMs of K*K*Ca, ~1/S^2
//              of the inputs non-zero
//     gather:  Conv2d forward: M_g at a*S (h*w MVMs of K*K*Cb). ConvT backward-data: M_g at
//              every point of the zero-inserted grid ((h-1)S+1 x (w-1)S+1 MVMs), the gradients
//              of inserted zeros discarded
//   zero_free       P_r (S*S phases) + M_g
//     scatter: each phase a dense stride-1 convolution of A on its own arrays (Hb*Wb MVMs in
//              all, each about (K/S)^2 Ca long); phases run in parallel
//     gather:  M_g at a*S only: the stride-S convolution (h*w MVMs of K*K*Cb), no zero grid
//   pixel_wise      M_px only (RED, "scatter" reading; M_g is its transpose)
//     scatter: ConvT: M_px, one MVM per A pixel (h*w MVMs of Ca) into a K x K x Cb patch,
//              overlap-added digitally and cropped by P. Conv2d: M_g in transpose mode
//     gather:  ConvT: M_px in transpose mode (h*w MVMs of K*K*Cb). Conv2d: M_g forward
//   backward-weight programs one operand into scratch arrays and streams the other:
//     zero_insertion: B (N*Hb*Wb x Cb) programmed, K*K*Ca columns of zero-inserted im2col(A)
//     zero_free:      per phase B_r (N*count_y*count_x x Cb), Kr_y*Kr_x*Ca phase columns of A
//     pixel_wise:     A (N*h*w x Ca) programmed, K*K*Cb stride-S tap columns of B
// Biases are added digitally (forward) and their gradients summed digitally.
//
// Training in place: apply_update / apply_manhattan rearrange a weight-layout tensor into every
// resident matrix with the same functions as set_weights (they are linear) and update each on
// the engine. On a FloatGemmEngine all copies of a weight stay equal; on a CrossbarEngine each
// copy is its own cells, so stochastic rounding, c2c and nonlinearity make them drift apart
// (zero_insertion: M_zi and M_g; zero_free: the phases and M_g), as on the hardware.
#pragma once

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "core/nn/linear.h"
#include "core/nn/mvm_engine.h"
#include "core/nn/tensor.h"

namespace memgan::mapping {

enum class Dataflow { ZeroInsertion, ZeroFree, PixelWise };
inline constexpr Dataflow kAllDataflows[] = {Dataflow::ZeroInsertion, Dataflow::ZeroFree, Dataflow::PixelWise};
const char* dataflow_name(Dataflow d);           // "zero_insertion", "zero_free", "pixel_wise"
Dataflow parse_dataflow(const std::string& name);  // throws std::invalid_argument listing the names

enum class ConvKind { Conv2d, ConvTranspose2d };
const char* conv_kind_name(ConvKind k);  // "conv2d", "conv_transpose2d"

struct ConvShape {
  ConvKind kind = ConvKind::ConvTranspose2d;
  int batch = 1;
  int in_channels = 1, out_channels = 1;
  int in_h = 1, in_w = 1;
  int kernel = 1, stride = 1, padding = 0;
  int output_padding = 0;  // ConvTranspose2d only

  // Conv2d: floor((H + 2P - K) / S) + 1; ConvTranspose2d: (H - 1) S - 2P + K + OP.
  int out_h() const;
  int out_w() const;
  std::vector<int> weight_shape() const;  // PyTorch layout
  std::vector<int> input_shape() const;   // N x Cin x H x W
  std::vector<int> output_shape() const;  // N x Cout x Ho x Wo
  // Throws std::invalid_argument naming the field: sizes >= 1, padding >= 0, output size >= 1,
  // ConvTranspose2d output_padding in [0, stride), Conv2d output_padding 0.
  void validate() const;
};

class ConvLayer {
 public:
  // Keys for every matrix come from engine.new_key(); the layer releases them when destroyed,
  // so the engine must outlive the layer.
  ConvLayer(nn::MvmEngine& engine, const ConvShape& shape, Dataflow dataflow);
  ~ConvLayer();
  ConvLayer(const ConvLayer&) = delete;
  ConvLayer& operator=(const ConvLayer&) = delete;
  ConvLayer(ConvLayer&&) noexcept;
  ConvLayer& operator=(ConvLayer&&) noexcept;

  const ConvShape& shape() const;
  Dataflow dataflow() const;
  // weight in PyTorch layout (shape().weight_shape()); bias {Cout} or empty (no bias). Programs
  // every resident matrix of the dataflow; `counts` gets arrays_used and weights_programmed.
  // weight_range > 0 gives every resident matrix that range (MvmEngine::load), so all share one
  // scale and one weight_step; without it a zero_free phase matrix is scaled by the largest of
  // its own taps and takes smaller pulses than M_g.
  void set_weights(const nn::Tensor& weight, const nn::Tensor& bias, nn::MvmCounts* counts = nullptr,
                   float weight_range = 0);
  nn::Tensor forward(const nn::Tensor& x, nn::MvmCounts* counts = nullptr);         // input_shape -> output_shape
  nn::Tensor backward_data(const nn::Tensor& dy, nn::MvmCounts* counts = nullptr);  // output_shape -> input_shape
  // Gradients of weight and bias (bias empty when the layer has none) from the forward input x
  // and the output gradient dy. Scratch loads count into `counts`.
  nn::WeightGrad backward_weight(const nn::Tensor& x, const nn::Tensor& dy, nn::MvmCounts* counts = nullptr);

  // weight += weight_delta (weight layout) in every resident matrix (MvmEngine::apply_update),
  // bias += bias_delta digitally ({Cout}, or empty to leave it; empty without a bias). Throws
  // std::logic_error before set_weights.
  void apply_update(const nn::Tensor& weight_delta, const nn::Tensor& bias_delta, nn::MvmCounts* counts = nullptr);
  // Manhattan rule in every resident matrix (MvmEngine::apply_manhattan); the bias is the caller's.
  void apply_manhattan(const nn::Tensor& weight_grad, float threshold, float digital_step,
                       nn::MvmCounts* counts = nullptr);
  // Weights (weight layout) read back from the first resident matrix that holds each weight once
  // (M_g, or M_px for a pixel_wise ConvTranspose2d).
  nn::Tensor weights() const;
  nn::Tensor bias() const;     // {Cout}, or empty without a bias
  double weight_step() const;  // MvmEngine::weight_step of that matrix

  // The layer's digital state (keys, loaded flag, bias); the engine checkpoints the matrices.
  // load_state needs a layer of the same shape (any batch) and dataflow on the same keys (layers
  // constructed in the same order) and throws std::runtime_error otherwise.
  void save_state(std::ostream& os) const;
  void load_state(std::istream& is);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace memgan::mapping
