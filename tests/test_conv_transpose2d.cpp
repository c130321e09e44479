// conv_transpose2d CPU reference: the adjoint identity <conv2d(u, w), v> = <u, conv_transpose2d(v, w)>
// against the (independent) conv2d reference, and the role exchanges the CUDA path relies on; the
// shape errors. The finite-difference gradients (with and without bias) and the float entry points
// against the double reference are op cases in tests/op_cases_conv.cpp, run by test_ops.
#include <catch2/catch.hpp>

#include "kernels/conv_transpose2d.h"
#include "tests/testing.h"

using namespace p2p;
using namespace p2p::testing;

namespace {

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0.0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

}  // namespace

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

TEST_CASE("conv_transpose2d rejects bad shapes with a clear message", "[conv_transpose2d][errors]") {
  const Tensor x = Tensor::zeros({2, 3, 4, 4}), w = Tensor::zeros({3, 5, 4, 4}), b = Tensor::zeros({5});
  Tensor y = Tensor::zeros({2, 5, 8, 8});
  conv_transpose2d_forward(x, w, &b, 2, 1, 0, y);  // the valid call, for contrast

  CHECK_THROWS_WITH(conv_transpose2d_forward(x, Tensor::zeros({2, 5, 4, 4}), nullptr, 2, 1, 0, y),
                    Catch::Contains("conv_transpose2d: channel mismatch: input x [2, 3, 4, 4] has 3 channels, weight "
                                    "w [2, 5, 4, 4] expects 2"));
  Tensor y_wrong = Tensor::zeros({2, 5, 7, 7});
  CHECK_THROWS_WITH(conv_transpose2d_forward(x, w, &b, 2, 1, 0, y_wrong),
                    Catch::Contains("conv_transpose2d_forward output y: shape [2, 5, 7, 7], expected [2, 5, 8, 8]"));
  const Tensor b_wrong = Tensor::zeros({3});
  CHECK_THROWS_WITH(conv_transpose2d_forward(x, w, &b_wrong, 2, 1, 0, y),
                    Catch::Contains("conv_transpose2d_forward bias b: shape [3], expected [5]"));
  Tensor y_any = Tensor::zeros({1, 3, 1, 1});
  CHECK_THROWS_WITH(
      conv_transpose2d_forward(Tensor::zeros({1, 2, 1, 1}), Tensor::zeros({2, 3, 1, 1}), nullptr, 1, 1, 0, y_any),
      Catch::Contains("gives an empty output (-1x-1)"));
  CHECK_THROWS_WITH(conv_transpose2d_forward(x, w, nullptr, 2, -1, 0, y),
                    Catch::Contains("conv_transpose2d: stride 2 must be >= 1 and padding -1 >= 0"));
  CHECK_THROWS_WITH(conv_transpose2d_forward(x, w, nullptr, 2, 1, 2, y),
                    Catch::Contains("conv_transpose2d: output_padding 2 must be in [0, stride 2) (as in PyTorch)"));

  Tensor dx = Tensor::zeros({2, 3, 4, 4});
  CHECK_THROWS_WITH(conv_transpose2d_backward_data(Tensor::zeros({2, 5, 4, 4}), w, 2, 1, 0, dx),
                    Catch::Contains("conv_transpose2d_backward_data output gradient dy: shape [2, 5, 4, 4], expected "
                                    "[2, 5, 8, 8]"));
  Tensor dw = Tensor::zeros({3, 5, 4, 4});
  CHECK_THROWS_WITH(conv_transpose2d_backward_weight(x, Tensor::zeros({2, 5, 8, 9}), 2, 1, 0, dw),
                    Catch::Contains("conv_transpose2d_backward_weight output gradient dy: shape [2, 5, 8, 9], "
                                    "expected [2, 5, 8, 8]"));
}
