// reflection_pad2d CPU reference and tensor-level dispatch. The math is in kernels/reflection_pad2d.h.
// The backward is the scatter of the definition (dx = 0, then dx[m(i), m(j)] += dy[i, j]), so that
// the CUDA kernel's gather over the mirrored positions is checked against an independent form.
#include "kernels/reflection_pad2d.h"

#include <algorithm>

#include "runtime/dispatch.h"

namespace p2p {

namespace ref {

namespace {
int mirror(int t, int len) { return t < 0 ? -t : t < len ? t : 2 * (len - 1) - t; }
}  // namespace

template <typename T>
void reflection_pad2d_forward(const PadGeom& g, const T* x, T* y) {
  const int HO = g.ho(), WO = g.wo();
  for (int64_t nc = 0; nc < int64_t(g.n) * g.c; ++nc) {
    const T* xp = x + nc * g.h * g.w;
    T* yp = y + nc * HO * WO;
    for (int i = 0; i < HO; ++i)
      for (int j = 0; j < WO; ++j) yp[i * WO + j] = xp[mirror(i - g.pad, g.h) * g.w + mirror(j - g.pad, g.w)];
  }
}

template <typename T>
void reflection_pad2d_backward(const PadGeom& g, const T* dy, T* dx) {
  const int HO = g.ho(), WO = g.wo();
  for (int64_t nc = 0; nc < int64_t(g.n) * g.c; ++nc) {
    T* dxp = dx + nc * g.h * g.w;
    const T* dyp = dy + nc * HO * WO;
    std::fill(dxp, dxp + int64_t(g.h) * g.w, T(0));
    for (int i = 0; i < HO; ++i)
      for (int j = 0; j < WO; ++j) dxp[mirror(i - g.pad, g.h) * g.w + mirror(j - g.pad, g.w)] += dyp[i * WO + j];
  }
}

#define P2P_INSTANTIATE(T)                                                 \
  template void reflection_pad2d_forward<T>(const PadGeom&, const T*, T*); \
  template void reflection_pad2d_backward<T>(const PadGeom&, const T*, T*);
P2P_INSTANTIATE(float)
P2P_INSTANTIATE(double)
#undef P2P_INSTANTIATE

}  // namespace ref

PadGeom reflection_pad2d_geom(const Tensor& x, int pad) {
  check_rank(x, 4, "reflection_pad2d input x");
  P2P_CHECK(pad >= 0 && pad < x.h() && pad < x.w(),
            "reflection_pad2d: padding " << pad << " must be smaller than the input size " << x.h() << "x" << x.w()
                                         << " (input " << shape_str(x.shape()) << "), as in PyTorch");
  return PadGeom{x.n(), x.c(), x.h(), x.w(), pad};
}

void reflection_pad2d_forward(const Tensor& x, int pad, Tensor& y) {
  const Device dev = common_device({&x, &y}, "reflection_pad2d_forward");
  const PadGeom g = reflection_pad2d_geom(x, pad);
  check_shape(y, {g.n, g.c, g.ho(), g.wo()}, "reflection_pad2d_forward output y");
  if (dev == Device::CUDA)
    P2P_ON_CUDA(cuda::reflection_pad2d_forward(g, x.data(), y.data()));
  else
    ref::reflection_pad2d_forward(g, x.data(), y.data());
}

void reflection_pad2d_backward(const Tensor& dy, int pad, Tensor& dx) {
  const Device dev = common_device({&dy, &dx}, "reflection_pad2d_backward");
  const PadGeom g = reflection_pad2d_geom(dx, pad);
  check_shape(dy, {g.n, g.c, g.ho(), g.wo()}, "reflection_pad2d_backward output gradient dy");
  if (dev == Device::CUDA)
    P2P_ON_CUDA(cuda::reflection_pad2d_backward(g, dy.data(), dx.data()));
  else
    ref::reflection_pad2d_backward(g, dy.data(), dx.data());
}

}  // namespace p2p
