// cuDNN set-up shared by the benchmark binaries: checked calls, one handle on p2p::cuda::stream(),
// RAII descriptors (NCHW float32), and the per-shape choice of convolution algorithms.
//
// Precision variants of the cuDNN twins (cudnnMathType_t, cuDNN 9 legacy API):
//   fp32: CUDNN_FMA_MATH — only kernels built from FP32 FMA instructions; results reporting a
//         tensor-op math type are discarded as well, so no TF32 can slip in (as PyTorch does with
//         allow_tf32 = False).
//   tf32: CUDNN_TENSOR_OP_MATH — tensor-core kernels allowed; on Ampere and newer fp32 data then
//         runs in TF32 (10-bit mantissa inputs, fp32 accumulation). The fastest of all returned
//         algorithms wins, which may still be an FMA kernel. NVIDIA_TF32_OVERRIDE=0 in the
//         environment would silently disable TF32: do not set it when measuring.
// Our kernels are strict fp32, so the fp32 twin is the like-for-like comparison; tf32 shows what
// the library reaches when it may trade precision for tensor cores.
#pragma once
#include <cudnn.h>

#include <string>
#include <vector>

#include "kernels/conv2d.h"
#include "runtime/check.h"
#include "runtime/cuda_util.h"

#define CUDNN_CHECK(expr)                                                                                            \
  do {                                                                                                               \
    cudnnStatus_t p2p_st_ = (expr);                                                                                  \
    if (p2p_st_ != CUDNN_STATUS_SUCCESS)                                                                             \
      ::p2p::fail(__FILE__, __LINE__, std::string("cuDNN error in ") + #expr + ": " + cudnnGetErrorString(p2p_st_)); \
  } while (0)

namespace p2p::bench {

// The process's cuDNN handle, created on first use and bound to the stream our kernels use.
inline cudnnHandle_t cudnn_handle() {
  static cudnnHandle_t h = [] {
    cudnnHandle_t created;
    CUDNN_CHECK(cudnnCreate(&created));
    CUDNN_CHECK(cudnnSetStream(created, cuda::stream()));
    return created;
  }();
  return h;
}

class TensorDesc {
 public:
  TensorDesc(int n, int c, int h, int w) {
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&d_));
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(d_, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, h, w));
  }
  TensorDesc(const TensorDesc&) = delete;
  TensorDesc& operator=(const TensorDesc&) = delete;
  ~TensorDesc() { cudnnDestroyTensorDescriptor(d_); }
  operator cudnnTensorDescriptor_t() const { return d_; }

 private:
  cudnnTensorDescriptor_t d_;
};

class FilterDesc {
 public:
  FilterDesc(int k, int c, int r, int s) {
    CUDNN_CHECK(cudnnCreateFilterDescriptor(&d_));
    CUDNN_CHECK(cudnnSetFilter4dDescriptor(d_, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, k, c, r, s));
  }
  FilterDesc(const FilterDesc&) = delete;
  FilterDesc& operator=(const FilterDesc&) = delete;
  ~FilterDesc() { cudnnDestroyFilterDescriptor(d_); }
  operator cudnnFilterDescriptor_t() const { return d_; }

 private:
  cudnnFilterDescriptor_t d_;
};

class ActivationDesc {
 public:
  explicit ActivationDesc(cudnnActivationMode_t mode) {
    CUDNN_CHECK(cudnnCreateActivationDescriptor(&d_));
    CUDNN_CHECK(cudnnSetActivationDescriptor(d_, mode, CUDNN_NOT_PROPAGATE_NAN, 0.0));
  }
  ActivationDesc(const ActivationDesc&) = delete;
  ActivationDesc& operator=(const ActivationDesc&) = delete;
  ~ActivationDesc() { cudnnDestroyActivationDescriptor(d_); }
  operator cudnnActivationDescriptor_t() const { return d_; }

 private:
  cudnnActivationDescriptor_t d_;
};

// Cross-correlation (as our conv2d and torch), dilation 1, fp32 compute.
class ConvDesc {
 public:
  ConvDesc(int stride, int pad, cudnnMathType_t math) {
    CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&d_));
    CUDNN_CHECK(
        cudnnSetConvolution2dDescriptor(d_, pad, pad, stride, stride, 1, 1, CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    set_math(math);
  }
  ConvDesc(const ConvDesc&) = delete;
  ConvDesc& operator=(const ConvDesc&) = delete;
  ~ConvDesc() { cudnnDestroyConvolutionDescriptor(d_); }
  void set_math(cudnnMathType_t math) { CUDNN_CHECK(cudnnSetConvolutionMathType(d_, math)); }
  operator cudnnConvolutionDescriptor_t() const { return d_; }

 private:
  cudnnConvolutionDescriptor_t d_;
};

enum class Math { fp32, tf32 };
inline const char* math_name(Math m) { return m == Math::fp32 ? "cudnn_fp32" : "cudnn_tf32"; }
inline cudnnMathType_t requested_math(Math m) { return m == Math::fp32 ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH; }

// The x, w, y descriptors of one conv2d geometry (y = conv(x, w)).
struct ConvDescs {
  explicit ConvDescs(const ConvGeom& g) : x(g.n, g.c, g.h, g.w), w(g.k, g.c, g.r, g.s), y(g.n, g.k, g.p(), g.q()) {}
  TensorDesc x;
  FilterDesc w;
  TensorDesc y;
};

// One cuDNN convolution call made ready: its descriptor (math type set to the chosen algorithm's),
// the algorithm, and its workspace size. `label` names them for the benchmark report.
template <class Algo>
struct ConvPlan {
  ConvPlan(const ConvGeom& g, Math m) : conv(g.stride, g.pad, requested_math(m)) {}
  ConvDesc conv;
  Algo algo{};
  size_t workspace = 0;
  std::string label;
};

// Picks the fastest successful result of a cudnnFind* call (sorted by time) that the precision
// variant allows, sets the descriptor's math type and records the choice.
template <class Algo, class Perf>
void choose(ConvPlan<Algo>& plan, const Perf* perf, int count, Math m) {
  for (int i = 0; i < count; ++i) {
    const Perf& p = perf[i];
    if (p.status != CUDNN_STATUS_SUCCESS) continue;
    const bool tensor_op = p.mathType == CUDNN_TENSOR_OP_MATH || p.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
    if (m == Math::fp32 && tensor_op) continue;
    plan.algo = p.algo;
    plan.workspace = p.memory;
    plan.conv.set_math(m == Math::fp32 ? CUDNN_FMA_MATH : p.mathType);
    plan.label = "algo " + std::to_string(static_cast<int>(p.algo)) + ", math " +
                 std::to_string(static_cast<int>(p.mathType)) + ", ws " + std::to_string(p.memory >> 20) + " MiB" +
                 (p.determinism == CUDNN_DETERMINISTIC ? ", deterministic" : ", non-deterministic");
    return;
  }
  P2P_FAIL("cuDNN returned no usable " << math_name(m) << " algorithm among " << count << " results");
}

// cudnnFind* runs every algorithm once (allocating its own scratch memory) and sorts by time; it
// is called once per shape and precision, before any timing.
constexpr int kMaxAlgos = 16;

inline void plan_forward(ConvPlan<cudnnConvolutionFwdAlgo_t>& plan, const ConvDescs& d, Math m) {
  cudnnConvolutionFwdAlgoPerf_t perf[kMaxAlgos];
  int count = 0;
  CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithm(cudnn_handle(), d.x, d.w, plan.conv, d.y, kMaxAlgos, &count, perf));
  choose(plan, perf, count, m);
}

inline void plan_backward_data(ConvPlan<cudnnConvolutionBwdDataAlgo_t>& plan, const ConvDescs& d, Math m) {
  cudnnConvolutionBwdDataAlgoPerf_t perf[kMaxAlgos];
  int count = 0;
  CUDNN_CHECK(
      cudnnFindConvolutionBackwardDataAlgorithm(cudnn_handle(), d.w, d.y, plan.conv, d.x, kMaxAlgos, &count, perf));
  choose(plan, perf, count, m);
}

inline void plan_backward_filter(ConvPlan<cudnnConvolutionBwdFilterAlgo_t>& plan, const ConvDescs& d, Math m) {
  cudnnConvolutionBwdFilterAlgoPerf_t perf[kMaxAlgos];
  int count = 0;
  CUDNN_CHECK(
      cudnnFindConvolutionBackwardFilterAlgorithm(cudnn_handle(), d.x, d.y, plan.conv, d.w, kMaxAlgos, &count, perf));
  choose(plan, perf, count, m);
}

}  // namespace p2p::bench
