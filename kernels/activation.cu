// Pointwise activations on the GPU: one pointwise map each (kernels/pointwise_map.cuh), the math of
// activation.h. tanhf is accurate to a few ulp, so the kernels agree with the double reference to ~1e-7.
#include "kernels/activation.h"
#include "kernels/pointwise_map.cuh"

namespace p2p::cuda {

namespace {
struct LeakyReluForward {
  float slope;
  __device__ void operator()(int64_t, const float (&x)[1], float (&y)[1]) const {
    y[0] = x[0] > 0.0f ? x[0] : slope * x[0];
  }
};
struct LeakyReluBackward {  // in: x, dy
  float slope;
  __device__ void operator()(int64_t, const float (&in)[2], float (&dx)[1]) const {
    dx[0] = in[0] > 0.0f ? in[1] : slope * in[1];
  }
};
struct TanhForward {
  __device__ void operator()(int64_t, const float (&x)[1], float (&y)[1]) const { y[0] = tanhf(x[0]); }
};
struct TanhBackward {  // in: y, dy
  __device__ void operator()(int64_t, const float (&in)[2], float (&dx)[1]) const {
    dx[0] = in[1] * (1.0f - in[0] * in[0]);
  }
};
}  // namespace

void leaky_relu_forward(int64_t n, const float* x, float slope, float* y) {
  pointwise_map(n, MapBuffers<1, 1>{{x}, {y}}, LeakyReluForward{slope});
}
void leaky_relu_backward(int64_t n, const float* x, const float* dy, float slope, float* dx) {
  pointwise_map(n, MapBuffers<2, 1>{{x, dy}, {dx}}, LeakyReluBackward{slope});
}
void tanh_forward(int64_t n, const float* x, float* y) { pointwise_map(n, MapBuffers<1, 1>{{x}, {y}}, TanhForward{}); }
void tanh_backward(int64_t n, const float* y, const float* dy, float* dx) {
  pointwise_map(n, MapBuffers<2, 1>{{y, dy}, {dx}}, TanhBackward{});
}

}  // namespace p2p::cuda
