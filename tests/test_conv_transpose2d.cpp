// conv_transpose2d CPU reference: finite-difference gradients of x, w and b; the adjoint identity
// <conv2d(u, w), v> = <u, conv_transpose2d(v, w)> against the (independent) conv2d reference, and the
// role exchanges the CUDA path relies on; the shape errors.
#include <catch2/catch.hpp>
#include <sstream>

#include "kernels/conv_transpose2d.h"
#include "tests/gradcheck.h"
#include "tests/testing.h"

using namespace p2p;
using namespace p2p::testing;

namespace {

std::string geom_str(const ConvTGeom& g) {
  std::ostringstream os;
  os << "x [" << g.n << ", " << g.c << ", " << g.h << ", " << g.w << "] w [" << g.c << ", " << g.o << ", " << g.r
     << ", " << g.s << "] stride " << g.stride << " pad " << g.pad;
  return os.str();
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// {n, c, h, w, o, r, s, stride, pad}
const ConvTGeom kGradGeoms[] = {
    {1, 2, 3, 4, 3, 4, 4, 2, 1},  // pix2pix up conv: doubles the size
    {2, 3, 5, 3, 2, 4, 4, 2, 1},  // odd input size
    {3, 2, 4, 5, 2, 3, 3, 1, 1},  // 3x3 stride 1 "same"
    {2, 2, 3, 3, 3, 3, 3, 2, 0},  // stride 2, no padding: 7x7 output
    {2, 3, 5, 4, 2, 1, 1, 1, 0},  // 1x1
    {1, 2, 4, 3, 3, 1, 1, 2, 0},  // 1x1 stride 2: every other output pixel is bias only
    {2, 2, 3, 4, 2, 3, 4, 2, 1},  // non-square kernel
};

GradCase convt_case(const ConvTGeom& g, bool bias) {
  const int64_t x_size = int64_t(g.n) * g.c * g.h * g.w, w_size = int64_t(g.c) * g.o * g.r * g.s;
  GradCase c;
  c.name = "conv_transpose2d " + geom_str(g) + (bias ? " bias" : " no bias");
  c.inputs = {{"x", random_values(x_size, 41)}, {"w", random_values(w_size, 42), true, true}};
  if (bias) c.inputs.push_back({"b", random_values(g.o, 43), true, true});
  c.forward = [g, bias](const std::vector<GradInput>& in, std::vector<double>& y) {
    y.resize(int64_t(g.n) * g.o * g.ho() * g.wo());
    ref::conv_transpose2d_forward<double>(g, in[0].value.data(), in[1].value.data(),
                                          bias ? in[2].value.data() : nullptr, y.data());
  };
  c.backward = [g, bias](std::vector<GradInput>& in, const std::vector<double>& dy) {
    ref::conv_transpose2d_backward_data<double>(g, dy.data(), in[1].value.data(), in[0].grad.data());
    ref::conv_transpose2d_backward_weight<double>(g, in[0].value.data(), dy.data(), in[1].grad.data());
    if (bias) ref::bias_backward<double>(g.n, g.o, int64_t(g.ho()) * g.wo(), dy.data(), in[2].grad.data());
  };
  c.tol = 1e-7;
  c.tol_reason = "linear in each input: central differences are exact up to rounding (~1e-9 at h = 1e-6)";
  return c;
}

}  // namespace

TEST_CASE("conv_transpose2d gradients (x, w, b) match finite differences", "[conv_transpose2d][gradcheck]") {
  for (const ConvTGeom& g : kGradGeoms) {
    GradReport r = check_gradients(convt_case(g, true));
    INFO(r.text);
    CHECK(r.ok);
  }
  GradReport r = check_gradients(convt_case(kGradGeoms[1], false));
  INFO(r.text);
  CHECK(r.ok);
}

TEST_CASE("conv_transpose2d is the adjoint of conv2d, and the role exchanges hold", "[conv_transpose2d][adjoint]") {
  // Each convolution g (u: [N, C, H, W] -> v: [N, K, P, Q]) is paired with the transposed convolution
  // t = ConvTGeom{N, K, P, Q, C, ...} of the same weights w [K, C, R, S]; t maps v back to u's size when
  // (H + 2 pad - R) is divisible by the stride, which these geometries satisfy.
  // {n, c, h, w, k, r, s, stride, pad}
  const ConvGeom geoms[] = {{2, 3, 8, 6, 4, 4, 4, 2, 1}, {1, 2, 7, 5, 3, 3, 3, 1, 1}, {3, 2, 7, 9, 2, 3, 3, 2, 0},
                            {2, 3, 5, 7, 2, 1, 1, 1, 0}, {2, 2, 9, 9, 3, 3, 3, 2, 1}, {1, 4, 6, 8, 2, 4, 2, 2, 1}};
  const double tol = 1e-12;  // double sums of a few thousand O(1) products, different orders
  for (const ConvGeom& g : geoms) {
    const ConvTGeom t{g.n, g.k, g.p(), g.q(), g.c, g.r, g.s, g.stride, g.pad};
    INFO("conv2d " << g.n << "x" << g.c << "x" << g.h << "x" << g.w << " -> " << g.k << " k" << g.r << "x" << g.s
                   << " stride " << g.stride << " pad " << g.pad);
    REQUIRE(t.ho() == g.h);
    REQUIRE(t.wo() == g.w);
    const std::vector<double> u = random_values(g.x_size(), 51), v = random_values(g.y_size(), 52),
                              w = random_values(g.w_size(), 53);

    // <conv2d(u), v> = <u, conv_transpose2d(v)>
    std::vector<double> cu(g.y_size()), tv(g.x_size());
    ref::conv2d_forward<double>(g, u.data(), w.data(), nullptr, cu.data());
    ref::conv_transpose2d_forward<double>(t, v.data(), w.data(), nullptr, tv.data());
    const double lhs = dot(cu, v), rhs = dot(u, tv);
    CHECK(std::abs(lhs - rhs) <= tol * std::max(1.0, std::abs(lhs)));

    // conv2d backward-data == conv_transpose2d forward (the CUDA conv_transpose2d forward).
    std::vector<double> got(g.x_size());
    ref::conv2d_backward_data<double>(g, v.data(), w.data(), got.data());
    CHECK(rel_error(got, tv) < tol);

    // conv_transpose2d backward-data == conv2d forward without bias (the CUDA convT backward-data).
    got.assign(g.y_size(), 0.0);
    ref::conv_transpose2d_backward_data<double>(t, u.data(), w.data(), got.data());
    CHECK(rel_error(got, cu) < tol);

    // conv_transpose2d backward-weight(x = v, dy = u) == conv2d backward-weight(x = u, dy = v).
    std::vector<double> dw_t(g.w_size(), 0.0), dw_c(g.w_size(), 0.0);
    ref::conv_transpose2d_backward_weight<double>(t, v.data(), u.data(), dw_t.data());
    ref::conv2d_backward_weight<double>(g, u.data(), v.data(), dw_c.data());
    CHECK(rel_error(dw_t, dw_c) < tol);
  }
}

TEST_CASE("conv_transpose2d tensor entry points on the CPU match the double reference", "[conv_transpose2d]") {
  const ConvTGeom g{2, 5, 4, 3, 3, 4, 4, 2, 1};
  const Shape xs{g.n, g.c, g.h, g.w}, ws{g.c, g.o, g.r, g.s}, ys{g.n, g.o, g.ho(), g.wo()};
  const int64_t x_size = shape_numel(xs), w_size = shape_numel(ws), y_size = shape_numel(ys);
  // The double reference runs on the float-rounded inputs, so only the float arithmetic differs.
  const std::vector<double> x = to_double(to_float(random_values(x_size, 61)));
  const std::vector<double> w = to_double(to_float(random_values(w_size, 62)));
  const std::vector<double> b = to_double(to_float(random_values(g.o, 63)));
  const std::vector<double> dy = to_double(to_float(random_values(y_size, 64)));
  const std::vector<double> dw0 = to_double(to_float(random_values(w_size, 65)));
  const Tensor tx = tensor_of(xs, x, Device::CPU), tw = tensor_of(ws, w, Device::CPU),
               tb = tensor_of({g.o}, b, Device::CPU);
  const Tensor tdy = tensor_of(ys, dy, Device::CPU);
  const double tol = 1e-5;  // float accumulation over at most C*R*S = 80 (or N*H*W = 24) terms

  Tensor y = poisoned(ys, Device::CPU);
  conv_transpose2d_forward(tx, tw, &tb, g.stride, g.pad, y);
  std::vector<double> want(y_size);
  ref::conv_transpose2d_forward<double>(g, x.data(), w.data(), b.data(), want.data());
  CHECK(rel_error(y.to_vector(), want) < tol);

  Tensor dx = poisoned(xs, Device::CPU);
  conv_transpose2d_backward_data(tdy, tw, g.stride, g.pad, dx);
  want.assign(x_size, 0.0);
  ref::conv_transpose2d_backward_data<double>(g, dy.data(), w.data(), want.data());
  CHECK(rel_error(dx.to_vector(), want) < tol);

  Tensor dw = tensor_of(ws, dw0, Device::CPU);
  conv_transpose2d_backward_weight(tx, tdy, g.stride, g.pad, dw);
  want = dw0;
  ref::conv_transpose2d_backward_weight<double>(g, x.data(), dy.data(), want.data());
  CHECK(rel_error(dw.to_vector(), want) < tol);
}

TEST_CASE("conv_transpose2d rejects bad shapes with a clear message", "[conv_transpose2d][errors]") {
  const Tensor x = Tensor::zeros({2, 3, 4, 4}), w = Tensor::zeros({3, 5, 4, 4}), b = Tensor::zeros({5});
  Tensor y = Tensor::zeros({2, 5, 8, 8});
  conv_transpose2d_forward(x, w, &b, 2, 1, y);  // the valid call, for contrast

  CHECK_THROWS_WITH(conv_transpose2d_forward(x, Tensor::zeros({2, 5, 4, 4}), nullptr, 2, 1, y),
                    Catch::Contains("conv_transpose2d: channel mismatch: input x [2, 3, 4, 4] has 3 channels, weight "
                                    "w [2, 5, 4, 4] expects 2"));
  Tensor y_wrong = Tensor::zeros({2, 5, 7, 7});
  CHECK_THROWS_WITH(conv_transpose2d_forward(x, w, &b, 2, 1, y_wrong),
                    Catch::Contains("conv_transpose2d_forward output y: shape [2, 5, 7, 7], expected [2, 5, 8, 8]"));
  const Tensor b_wrong = Tensor::zeros({3});
  CHECK_THROWS_WITH(conv_transpose2d_forward(x, w, &b_wrong, 2, 1, y),
                    Catch::Contains("conv_transpose2d_forward bias b: shape [3], expected [5]"));
  Tensor y_any = Tensor::zeros({1, 3, 1, 1});
  CHECK_THROWS_WITH(
      conv_transpose2d_forward(Tensor::zeros({1, 2, 1, 1}), Tensor::zeros({2, 3, 1, 1}), nullptr, 1, 1, y_any),
      Catch::Contains("gives an empty output (-1x-1)"));
  CHECK_THROWS_WITH(conv_transpose2d_forward(x, w, nullptr, 2, -1, y),
                    Catch::Contains("conv_transpose2d: stride 2 must be >= 1 and padding -1 >= 0"));

  Tensor dx = Tensor::zeros({2, 3, 4, 4});
  CHECK_THROWS_WITH(conv_transpose2d_backward_data(Tensor::zeros({2, 5, 4, 4}), w, 2, 1, dx),
                    Catch::Contains("conv_transpose2d_backward_data output gradient dy: shape [2, 5, 4, 4], expected "
                                    "[2, 5, 8, 8]"));
  Tensor dw = Tensor::zeros({3, 5, 4, 4});
  CHECK_THROWS_WITH(conv_transpose2d_backward_weight(x, Tensor::zeros({2, 5, 8, 9}), 2, 1, dw),
                    Catch::Contains("conv_transpose2d_backward_weight output gradient dy: shape [2, 5, 8, 9], "
                                    "expected [2, 5, 8, 8]"));
}
