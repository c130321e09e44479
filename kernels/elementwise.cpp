#include "kernels/elementwise.h"

#include "runtime/dispatch.h"

namespace p2p {

namespace ref {
template <typename T>
void axpy(int64_t n, T alpha, const T* x, T* y) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}
template void axpy<float>(int64_t, float, const float*, float*);
template void axpy<double>(int64_t, double, const double*, double*);
}  // namespace ref

void axpy(float alpha, const Tensor& x, Tensor& y) {
  Device dev = common_device({&x, &y}, "axpy");
  P2P_CHECK(x.numel() == y.numel(),
            "axpy: x " << shape_str(x.shape()) << " and y " << shape_str(y.shape()) << " differ in size");
  if (dev == Device::CUDA)
    P2P_ON_CUDA(cuda::axpy(x.numel(), alpha, x.data(), y.data()));
  else
    ref::axpy(x.numel(), alpha, x.data(), y.data());
}

}  // namespace p2p
