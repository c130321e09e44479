// conv2d CPU reference: finite-difference gradients of x, w and b on odd shapes, batch 1 to 3, stride 1
// and 2, padding 0 and 1, kernels 1, 3 and 4; the float tensor-level entry points against the double
// reference; and the shape errors.
#include <catch2/catch.hpp>
#include <sstream>

#include "kernels/conv2d.h"
#include "tests/gradcheck.h"
#include "tests/testing.h"

using namespace p2p;
using namespace p2p::testing;

namespace {

std::string geom_str(const ConvGeom& g) {
  std::ostringstream os;
  os << "x [" << g.n << ", " << g.c << ", " << g.h << ", " << g.w << "] w [" << g.k << ", " << g.c << ", " << g.r
     << ", " << g.s << "] stride " << g.stride << " pad " << g.pad;
  return os.str();
}

// {n, c, h, w, k, r, s, stride, pad}
const ConvGeom kGradGeoms[] = {
    {1, 2, 5, 7, 3, 3, 3, 1, 1},  // 3x3 "same"
    {2, 3, 7, 6, 2, 3, 3, 2, 1},  // 3x3 stride 2, odd height
    {3, 2, 6, 5, 3, 1, 1, 1, 0},  // 1x1
    {2, 2, 7, 6, 2, 1, 1, 2, 0},  // 1x1 stride 2: every other pixel is never read
    {2, 3, 9, 8, 2, 4, 4, 2, 1},  // pix2pix down conv, odd height (last row unread)
    {1, 3, 8, 9, 2, 4, 4, 1, 1},  // PatchGAN stride-1 conv, output shrinks by one
    {2, 2, 7, 7, 3, 3, 3, 2, 0},  // no padding, stride 2
    {3, 2, 5, 6, 2, 4, 3, 2, 1},  // non-square kernel
};

GradCase conv2d_case(const ConvGeom& g, bool bias) {
  GradCase c;
  c.name = "conv2d " + geom_str(g) + (bias ? " bias" : " no bias");
  c.inputs = {{"x", random_values(g.x_size(), 11)}, {"w", random_values(g.w_size(), 12), true, true}};
  if (bias) c.inputs.push_back({"b", random_values(g.k, 13), true, true});
  c.forward = [g, bias](const std::vector<GradInput>& in, std::vector<double>& y) {
    y.resize(g.y_size());
    ref::conv2d_forward<double>(g, in[0].value.data(), in[1].value.data(), bias ? in[2].value.data() : nullptr,
                                y.data());
  };
  c.backward = [g, bias](std::vector<GradInput>& in, const std::vector<double>& dy) {
    ref::conv2d_backward_data<double>(g, dy.data(), in[1].value.data(), in[0].grad.data());
    ref::conv2d_backward_weight<double>(g, in[0].value.data(), dy.data(), in[1].grad.data());
    if (bias) ref::bias_backward<double>(g.n, g.k, int64_t(g.p()) * g.q(), dy.data(), in[2].grad.data());
  };
  c.tol = 1e-7;
  c.tol_reason = "linear in each input: central differences are exact up to rounding (~1e-9 at h = 1e-6)";
  return c;
}

}  // namespace

TEST_CASE("conv2d gradients (x, w, b) match finite differences", "[conv2d][gradcheck]") {
  for (const ConvGeom& g : kGradGeoms) {
    GradReport r = check_gradients(conv2d_case(g, true));
    INFO(r.text);
    CHECK(r.ok);
  }
  GradReport r = check_gradients(conv2d_case(kGradGeoms[4], false));
  INFO(r.text);
  CHECK(r.ok);
}

TEST_CASE("conv2d forward matches a direct evaluation of the formula", "[conv2d]") {
  // The gradient checks cannot catch a forward that is wrong in a way its backward mirrors; this
  // evaluates y[n,k,p,q] = b[k] + sum x * w term by term with explicit padding tests.
  const ConvGeom g{2, 3, 7, 6, 4, 4, 3, 2, 1};
  const std::vector<double> x = random_values(g.x_size(), 21), w = random_values(g.w_size(), 22),
                            b = random_values(g.k, 23);
  std::vector<double> y(g.y_size()), want(g.y_size());
  ref::conv2d_forward<double>(g, x.data(), w.data(), b.data(), y.data());
  const int P = g.p(), Q = g.q();
  for (int n = 0; n < g.n; ++n)
    for (int k = 0; k < g.k; ++k)
      for (int p = 0; p < P; ++p)
        for (int q = 0; q < Q; ++q) {
          double acc = b[k];
          for (int c = 0; c < g.c; ++c)
            for (int r = 0; r < g.r; ++r)
              for (int s = 0; s < g.s; ++s) {
                const int h = p * g.stride + r - g.pad, ww = q * g.stride + s - g.pad;
                if (h < 0 || h >= g.h || ww < 0 || ww >= g.w) continue;
                acc += x[((n * g.c + c) * g.h + h) * g.w + ww] * w[((k * g.c + c) * g.r + r) * g.s + s];
              }
          want[((n * g.k + k) * P + p) * Q + q] = acc;
        }
  CHECK(rel_error(y, want) < 1e-14);  // same products, different summation order
}

TEST_CASE("conv2d tensor entry points on the CPU match the double reference", "[conv2d]") {
  const ConvGeom g{2, 3, 9, 7, 5, 4, 4, 2, 1};
  const Shape xs{g.n, g.c, g.h, g.w}, ws{g.k, g.c, g.r, g.s}, ys{g.n, g.k, g.p(), g.q()};
  // The double reference runs on the float-rounded inputs, so only the float arithmetic differs.
  const std::vector<double> x = to_double(to_float(random_values(g.x_size(), 31)));
  const std::vector<double> w = to_double(to_float(random_values(g.w_size(), 32)));
  const std::vector<double> b = to_double(to_float(random_values(g.k, 33)));
  const std::vector<double> dy = to_double(to_float(random_values(g.y_size(), 34)));
  const std::vector<double> dw0 = to_double(to_float(random_values(g.w_size(), 35)));
  const std::vector<double> db0 = to_double(to_float(random_values(g.k, 36)));
  const Tensor tx = tensor_of(xs, x, Device::CPU), tw = tensor_of(ws, w, Device::CPU),
               tb = tensor_of({g.k}, b, Device::CPU);
  const Tensor tdy = tensor_of(ys, dy, Device::CPU);
  const double tol = 1e-5;  // float accumulation over C*R*S = 48 (or N*P*Q = 80) terms

  Tensor y = poisoned(ys, Device::CPU);
  conv2d_forward(tx, tw, &tb, g.stride, g.pad, y);
  std::vector<double> want(g.y_size());
  ref::conv2d_forward<double>(g, x.data(), w.data(), b.data(), want.data());
  CHECK(rel_error(y.to_vector(), want) < tol);

  Tensor dx = poisoned(xs, Device::CPU);
  conv2d_backward_data(tdy, tw, g.stride, g.pad, dx);
  want.assign(g.x_size(), 0.0);
  ref::conv2d_backward_data<double>(g, dy.data(), w.data(), want.data());
  CHECK(rel_error(dx.to_vector(), want) < tol);

  Tensor dw = tensor_of(ws, dw0, Device::CPU);
  conv2d_backward_weight(tx, tdy, g.stride, g.pad, dw);
  want = dw0;
  ref::conv2d_backward_weight<double>(g, x.data(), dy.data(), want.data());
  CHECK(rel_error(dw.to_vector(), want) < tol);

  Tensor db = tensor_of({g.k}, db0, Device::CPU);
  bias_backward(tdy, db);
  want = db0;
  ref::bias_backward<double>(g.n, g.k, int64_t(g.p()) * g.q(), dy.data(), want.data());
  CHECK(rel_error(db.to_vector(), want) < tol);
}

TEST_CASE("conv2d rejects bad shapes with a clear message", "[conv2d][errors]") {
  const Tensor x = Tensor::zeros({2, 3, 8, 8}), w = Tensor::zeros({4, 3, 3, 3}), b = Tensor::zeros({4});
  Tensor y = Tensor::zeros({2, 4, 8, 8});
  conv2d_forward(x, w, &b, 1, 1, y);  // the valid call, for contrast

  CHECK_THROWS_WITH(conv2d_forward(x, Tensor::zeros({4, 2, 3, 3}), nullptr, 1, 1, y),
                    Catch::Contains("conv2d: channel mismatch: input x [2, 3, 8, 8] has 3 channels, weight w "
                                    "[4, 2, 3, 3] expects 2"));
  Tensor y_wrong = Tensor::zeros({2, 4, 7, 7});
  CHECK_THROWS_WITH(conv2d_forward(x, w, &b, 1, 1, y_wrong),
                    Catch::Contains("conv2d_forward output y: shape [2, 4, 7, 7], expected [2, 4, 8, 8]"));
  CHECK_THROWS_WITH(conv2d_forward(x, w, nullptr, 1, 0, y),
                    Catch::Contains("conv2d_forward output y: shape [2, 4, 8, 8], expected [2, 4, 6, 6]"));
  const Tensor b_wrong = Tensor::zeros({3});
  CHECK_THROWS_WITH(conv2d_forward(x, w, &b_wrong, 1, 1, y),
                    Catch::Contains("conv2d_forward bias b: shape [3], expected [4]"));
  Tensor y_small = Tensor::zeros({1, 1, 1, 1});
  CHECK_THROWS_WITH(conv2d_forward(Tensor::zeros({1, 3, 2, 2}), Tensor::zeros({1, 3, 5, 5}), nullptr, 1, 1, y_small),
                    Catch::Contains("conv2d: kernel 5x5 of weight w [1, 3, 5, 5] is larger than the padded input x "
                                    "[1, 3, 2, 2] (padding 1)"));
  CHECK_THROWS_WITH(conv2d_forward(Tensor::zeros({3, 8, 8}), w, nullptr, 1, 1, y),
                    Catch::Contains("conv2d input x: shape [3, 8, 8] has rank 3, expected 4"));
  CHECK_THROWS_WITH(conv2d_forward(x, w, nullptr, 0, 1, y), Catch::Contains("conv2d: stride 0 must be >= 1"));

  Tensor dx = Tensor::zeros({2, 3, 8, 8});
  CHECK_THROWS_WITH(conv2d_backward_data(Tensor::zeros({2, 4, 4, 4}), w, 1, 1, dx),
                    Catch::Contains("conv2d_backward_data output gradient dy: shape [2, 4, 4, 4], expected "
                                    "[2, 4, 8, 8]"));
  Tensor dw = Tensor::zeros({4, 3, 3, 3});
  CHECK_THROWS_WITH(conv2d_backward_weight(x, Tensor::zeros({2, 5, 8, 8}), 1, 1, dw),
                    Catch::Contains("conv2d_backward_weight output gradient dy: shape [2, 5, 8, 8], expected "
                                    "[2, 4, 8, 8]"));
  Tensor db = Tensor::zeros({5});
  CHECK_THROWS_WITH(bias_backward(y, db), Catch::Contains("bias_backward bias gradient db: shape [5], expected [4]"));
}

TEST_CASE("conv2d CUDA size limits: 32-bit indices in one image and over the GEMM extents", "[conv2d][errors]") {
  // Only the host-side check runs (no tensors, no GPU): each geometry sits just under or just over a
  // limit of cuda::check_sizes. {n, c, h, w, k, r, s, stride, pad}, 1x1 kernels, so P = H and Q = W.
  const int64_t e = cuda::kMaxGemmExtent;
  CHECK(e == 1073741816);  // (INT32_MAX - 14) / 2, derived in conv2d.cu
  const int under = static_cast<int>(e), over = static_cast<int>(e + 1);
  // N*P*Q = N*H*W: the forward's rows and backward-weight's reduction.
  CHECK_NOTHROW(cuda::check_sizes(ConvGeom{under, 1, 1, 1, 1, 1, 1, 1, 0}, "conv2d_forward"));
  CHECK_THROWS_WITH(cuda::check_sizes(ConvGeom{over, 1, 1, 1, 1, 1, 1, 1, 0}, "conv2d_forward"),
                    Catch::Contains("conv2d_forward: GEMM extent 1073741817 (the largest of N*P*Q, N*H*W, C*R*S, "
                                    "K*R*S) exceeds the CUDA kernels' 32-bit limit 1073741816"));
  // C*R*S, the forward's reduction, with every per-image size still far below INT32_MAX.
  CHECK_NOTHROW(cuda::check_sizes(ConvGeom{1, under / 4, 1, 1, 1, 2, 2, 1, 1}, "conv2d_backward_weight"));
  CHECK_THROWS_WITH(cuda::check_sizes(ConvGeom{1, under / 4 + 1, 1, 1, 1, 2, 2, 1, 1}, "conv2d_backward_weight"),
                    Catch::Contains("conv2d_backward_weight: GEMM extent 1073741820"));
  // K*R*S, backward-data's reduction.
  CHECK_NOTHROW(cuda::check_sizes(ConvGeom{1, 1, 1, 1, under, 1, 1, 1, 0}, "conv2d_backward_data"));
  CHECK_THROWS_WITH(cuda::check_sizes(ConvGeom{1, 1, 1, 1, over, 1, 1, 1, 0}, "conv2d_backward_data"),
                    Catch::Contains("conv2d_backward_data: GEMM extent 1073741817"));
  // One image of C*H*W = 2^31 - 2^15, then 2^31 elements; the GEMM extents stay small (C*R*S = C).
  CHECK_NOTHROW(cuda::check_sizes(ConvGeom{1, 65535, 128, 256, 1, 1, 1, 1, 0}, "conv2d_forward"));
  CHECK_THROWS_WITH(cuda::check_sizes(ConvGeom{1, 65536, 128, 256, 1, 1, 1, 1, 0}, "conv2d_forward"),
                    Catch::Contains("conv2d_forward: 2147483648 elements in one image or the weight tensor, beyond "
                                    "the CUDA kernels' 32-bit indexing (at most 2147483647)"));
}
