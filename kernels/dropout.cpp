// Inverted dropout: CPU reference and tensor-level entry points (math in dropout.h).
//   keep_i = philox_uniform(seed, offset, i) >= p,  scale = 1 / (1 - p)
//   y_i = keep_i ? x_i * scale : 0,   dx_i = keep_i ? dy_i * scale : 0   (dx written)
// The forward and the backward are the same linear map (x -> mask * scale * x), applied to x or dy.
// scale is rounded once and multiplied in, as the CUDA kernel does, so the two agree bit for bit in float.
#include "kernels/dropout.h"

#include "runtime/dispatch.h"
#include "runtime/philox.h"

namespace p2p {

namespace ref {
namespace {
template <typename T>
void dropout_apply(int64_t n, const T* in, T p, uint64_t seed, uint64_t offset, T* out) {
  const T scale = T(1) / (T(1) - p);
  for (int64_t i = 0; i < n; ++i) {
    const bool keep = static_cast<T>(philox_uniform(seed, offset, static_cast<uint64_t>(i))) >= p;
    out[i] = keep ? in[i] * scale : T(0);
  }
}
}  // namespace

template <typename T>
void dropout_forward(int64_t n, const T* x, T p, uint64_t seed, uint64_t offset, T* y) {
  dropout_apply(n, x, p, seed, offset, y);
}
template <typename T>
void dropout_backward(int64_t n, const T* dy, T p, uint64_t seed, uint64_t offset, T* dx) {
  dropout_apply(n, dy, p, seed, offset, dx);
}
template void dropout_forward<float>(int64_t, const float*, float, uint64_t, uint64_t, float*);
template void dropout_forward<double>(int64_t, const double*, double, uint64_t, uint64_t, double*);
template void dropout_backward<float>(int64_t, const float*, float, uint64_t, uint64_t, float*);
template void dropout_backward<double>(int64_t, const double*, double, uint64_t, uint64_t, double*);
}  // namespace ref

namespace {
Device check_dropout(const char* op, const Tensor& in, const char* in_name, float p, const Tensor& out,
                     const char* out_name, DeviceOffset device) {
  P2P_CHECK(p >= 0.0f && p < 1.0f, op << ": p = " << p << " is outside [0, 1)");
  Device dev = common_device({&in, &out}, op);
  P2P_CHECK(!device.count || dev == Device::CUDA, op << ": an offset in device memory needs CUDA tensors");
  check_shape(out, in.shape(), (std::string(op) + ": " + out_name + " (must match " + in_name + ")").c_str());
  return dev;
}
}  // namespace

void dropout_forward(const Tensor& x, float p, uint64_t seed, uint64_t offset, Tensor& y, DeviceOffset device) {
  Device dev = check_dropout("dropout_forward", x, "x", p, y, "y", device);
  if (dev == Device::CUDA)
    P2P_ON_CUDA(cuda::dropout_forward(x.numel(), x.data(), p, seed, offset, device, y.data()));
  else
    ref::dropout_forward(x.numel(), x.data(), p, seed, offset, y.data());
}

void dropout_backward(const Tensor& dy, float p, uint64_t seed, uint64_t offset, Tensor& dx, DeviceOffset device) {
  Device dev = check_dropout("dropout_backward", dy, "dy", p, dx, "dx", device);
  if (dev == Device::CUDA)
    P2P_ON_CUDA(cuda::dropout_backward(dy.numel(), dy.data(), p, seed, offset, device, dx.data()));
  else
    ref::dropout_backward(dy.numel(), dy.data(), p, seed, offset, dx.data());
}

}  // namespace p2p
