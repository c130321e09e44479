// batch_norm2d and instance_norm2d CUDA kernels against the double CPU reference, computed from the
// same float inputs: every output (y, saved statistics, running statistics, dx) starts poisoned with
// NaN, dgamma/dbeta start with random values (they accumulate), and the relative error of each must
// stay under 1e-5. Each case runs twice and the two runs must agree bit for bit (the reductions are
// deterministic). Shapes: odd sizes (scalar and float4 paths, one and several chunks per group, a
// misaligned tensor), and the norm layers of pix2pix at 256x256 input, batch 1 and 16. Last, a
// float finite-difference check of the CUDA backward on one small shape.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "kernels/batch_norm2d.h"
#include "kernels/instance_norm2d.h"
#include "tests/testing.h"

using namespace p2p;
using namespace p2p::testing;

namespace {

const float kEps = 1e-5f, kMomentum = 0.1f;
// The kernels reduce in float, in a different order than the double reference: a few float
// roundings of values of order 1, far below this.
const double kTol = 1e-5;

// Inputs rounded to float, as the GPU sees them, kept in double for the reference.
std::vector<double> rounded(std::vector<double> v) { return to_double(to_float(v)); }

struct Inputs {
  NormGeom g;
  Shape shape;
  std::vector<double> x, dy, gamma, beta, running_mean, running_var, dgamma0, dbeta0;
};

// x in [-1, 1) plus a per-channel offset in [-2, 2): activations with non-zero means.
Inputs make_inputs(const NormGeom& g, uint64_t seed) {
  Inputs in{g, {g.n, g.c, g.h, g.w}};
  in.x = random_values(g.size(), seed);
  std::vector<double> offset = random_values(g.c, seed + 1, -2.0, 2.0);
  for (int64_t i = 0; i < g.size(); ++i) in.x[i] += offset[(i / g.hw()) % g.c];
  in.x = rounded(in.x);
  in.dy = rounded(random_values(g.size(), seed + 2));
  in.gamma = rounded(random_values(g.c, seed + 3, 0.5, 1.5));
  in.beta = rounded(random_values(g.c, seed + 4));
  in.running_mean = rounded(random_values(g.c, seed + 5));
  in.running_var = rounded(random_values(g.c, seed + 6, 0.5, 1.5));
  in.dgamma0 = rounded(random_values(g.c, seed + 7));
  in.dbeta0 = rounded(random_values(g.c, seed + 8));
  return in;
}

// Named outputs of one run.
using Got = std::vector<std::pair<std::string, std::vector<float>>>;
using Want = std::vector<std::pair<std::string, std::vector<double>>>;

// Runs the GPU case twice: each output must match the reference, and the two runs bit for bit.
void check_case(const std::string& name, const std::function<Got()>& run_gpu, const Want& want) {
  const Got a = run_gpu(), b = run_gpu();
  REQUIRE(a.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO(name << ": " << want[i].first);
    REQUIRE(a[i].first == want[i].first);
    CHECK(rel_error(a[i].second, want[i].second) < kTol);
    REQUIRE(a[i].second.size() == b[i].second.size());
    CHECK(std::memcmp(a[i].second.data(), b[i].second.data(), a[i].second.size() * sizeof(float)) == 0);
  }
}

// A GPU tensor holding values; misaligned: a view one float into a larger buffer, so that the
// kernels cannot take their float4 path.
Tensor gpu_tensor(const Shape& shape, const std::vector<double>& values, bool misaligned = false) {
  if (!misaligned) return tensor_of(shape, values, Device::CUDA);
  Tensor buffer({shape_numel(shape) + 1}, Device::CUDA);
  Tensor t = buffer.slice(1, shape);
  t.copy_from(tensor_of(shape, values, Device::CPU));
  return t;
}
Tensor gpu_poisoned(const Shape& shape, bool misaligned = false) {
  if (!misaligned) return poisoned(shape, Device::CUDA);
  return poisoned({shape_numel(shape) + 1}, Device::CUDA).slice(1, shape);
}

struct Options {
  bool affine = true;
  bool running = true;  // batch norm training: track running statistics
  bool misaligned = false;
};
std::string describe(const char* op, const NormGeom& g, const Options& o) {
  return std::string(op) + " " + shape_str({g.n, g.c, g.h, g.w}) + (o.affine ? " affine" : "") +
         (o.running ? "" : " no-running") + (o.misaligned ? " misaligned" : "");
}

void check_batch_norm_train(const Inputs& in, const Options& o) {
  const NormGeom& g = in.g;
  const double eps = kEps, momentum = kMomentum;
  std::vector<double> y(g.size()), mean(g.c), invstd(g.c), rm = in.running_mean, rv = in.running_var;
  std::vector<double> dx(g.size()), dgamma = in.dgamma0, dbeta = in.dbeta0;
  const double* gamma = o.affine ? in.gamma.data() : nullptr;
  ref::batch_norm_forward_train<double>(g, in.x.data(), gamma, o.affine ? in.beta.data() : nullptr, eps, momentum,
                                        y.data(), mean.data(), invstd.data(), o.running ? rm.data() : nullptr,
                                        o.running ? rv.data() : nullptr);
  ref::batch_norm_backward_train<double>(g, in.dy.data(), in.x.data(), gamma, mean.data(), invstd.data(), dx.data(),
                                         o.affine ? dgamma.data() : nullptr, o.affine ? dbeta.data() : nullptr);
  Want want = {{"y", y}, {"save_mean", mean}, {"save_invstd", invstd}};
  if (o.running) want.insert(want.end(), {{"running_mean", rm}, {"running_var", rv}});
  want.push_back({"dx", dx});
  if (o.affine) want.insert(want.end(), {{"dgamma", dgamma}, {"dbeta", dbeta}});

  auto run_gpu = [&]() {
    Tensor x = gpu_tensor(in.shape, in.x, o.misaligned), dyt = gpu_tensor(in.shape, in.dy, o.misaligned);
    Tensor gm = gpu_tensor({g.c}, in.gamma), bt = gpu_tensor({g.c}, in.beta);
    Tensor run_mean = gpu_tensor({g.c}, in.running_mean), run_var = gpu_tensor({g.c}, in.running_var);
    Tensor yt = gpu_poisoned(in.shape, o.misaligned), dxt = gpu_poisoned(in.shape, o.misaligned);
    Tensor save_mean = gpu_poisoned({g.c}), save_invstd = gpu_poisoned({g.c});
    Tensor dg = gpu_tensor({g.c}, in.dgamma0), db = gpu_tensor({g.c}, in.dbeta0);
    batch_norm2d_forward_train(x, o.affine ? &gm : nullptr, o.affine ? &bt : nullptr, kEps, kMomentum, yt, save_mean,
                               save_invstd, o.running ? &run_mean : nullptr, o.running ? &run_var : nullptr);
    batch_norm2d_backward_train(dyt, x, o.affine ? &gm : nullptr, save_mean, save_invstd, dxt, o.affine ? &dg : nullptr,
                                o.affine ? &db : nullptr);
    Got got = {{"y", yt.to_vector()}, {"save_mean", save_mean.to_vector()}, {"save_invstd", save_invstd.to_vector()}};
    if (o.running)
      got.insert(got.end(), {{"running_mean", run_mean.to_vector()}, {"running_var", run_var.to_vector()}});
    got.push_back({"dx", dxt.to_vector()});
    if (o.affine) got.insert(got.end(), {{"dgamma", dg.to_vector()}, {"dbeta", db.to_vector()}});
    return got;
  };
  check_case(describe("batch_norm train", g, o), run_gpu, want);
}

void check_batch_norm_eval(const Inputs& in, const Options& o) {
  const NormGeom& g = in.g;
  std::vector<double> y(g.size()), dx(g.size()), dgamma = in.dgamma0, dbeta = in.dbeta0;
  const double* gamma = o.affine ? in.gamma.data() : nullptr;
  ref::batch_norm_forward_eval<double>(g, in.x.data(), gamma, o.affine ? in.beta.data() : nullptr,
                                       in.running_mean.data(), in.running_var.data(), kEps, y.data());
  ref::batch_norm_backward_eval<double>(g, in.dy.data(), in.x.data(), gamma, in.running_mean.data(),
                                        in.running_var.data(), kEps, dx.data(), o.affine ? dgamma.data() : nullptr,
                                        o.affine ? dbeta.data() : nullptr);
  Want want = {{"y", y}, {"dx", dx}};
  if (o.affine) want.insert(want.end(), {{"dgamma", dgamma}, {"dbeta", dbeta}});

  auto run_gpu = [&]() {
    Tensor x = gpu_tensor(in.shape, in.x, o.misaligned), dyt = gpu_tensor(in.shape, in.dy, o.misaligned);
    Tensor gm = gpu_tensor({g.c}, in.gamma), bt = gpu_tensor({g.c}, in.beta);
    Tensor run_mean = gpu_tensor({g.c}, in.running_mean), run_var = gpu_tensor({g.c}, in.running_var);
    Tensor yt = gpu_poisoned(in.shape, o.misaligned), dxt = gpu_poisoned(in.shape, o.misaligned);
    Tensor dg = gpu_tensor({g.c}, in.dgamma0), db = gpu_tensor({g.c}, in.dbeta0);
    batch_norm2d_forward_eval(x, o.affine ? &gm : nullptr, o.affine ? &bt : nullptr, run_mean, run_var, kEps, yt);
    batch_norm2d_backward_eval(dyt, x, o.affine ? &gm : nullptr, run_mean, run_var, kEps, dxt, o.affine ? &dg : nullptr,
                               o.affine ? &db : nullptr);
    Got got = {{"y", yt.to_vector()}, {"dx", dxt.to_vector()}};
    if (o.affine) got.insert(got.end(), {{"dgamma", dg.to_vector()}, {"dbeta", db.to_vector()}});
    return got;
  };
  check_case(describe("batch_norm eval", g, o), run_gpu, want);
}

void check_instance_norm(const Inputs& in, const Options& o) {
  const NormGeom& g = in.g;
  const Shape stats{g.n, g.c};
  std::vector<double> y(g.size()), mean(shape_numel(stats)), invstd(shape_numel(stats));
  std::vector<double> dx(g.size()), dgamma = in.dgamma0, dbeta = in.dbeta0;
  const double* gamma = o.affine ? in.gamma.data() : nullptr;
  ref::instance_norm_forward<double>(g, in.x.data(), gamma, o.affine ? in.beta.data() : nullptr, kEps, y.data(),
                                     mean.data(), invstd.data());
  ref::instance_norm_backward<double>(g, in.dy.data(), in.x.data(), gamma, mean.data(), invstd.data(), dx.data(),
                                      o.affine ? dgamma.data() : nullptr, o.affine ? dbeta.data() : nullptr);
  Want want = {{"y", y}, {"save_mean", mean}, {"save_invstd", invstd}, {"dx", dx}};
  if (o.affine) want.insert(want.end(), {{"dgamma", dgamma}, {"dbeta", dbeta}});

  auto run_gpu = [&]() {
    Tensor x = gpu_tensor(in.shape, in.x, o.misaligned), dyt = gpu_tensor(in.shape, in.dy, o.misaligned);
    Tensor gm = gpu_tensor({g.c}, in.gamma), bt = gpu_tensor({g.c}, in.beta);
    Tensor yt = gpu_poisoned(in.shape, o.misaligned), dxt = gpu_poisoned(in.shape, o.misaligned);
    Tensor save_mean = gpu_poisoned(stats), save_invstd = gpu_poisoned(stats);
    Tensor dg = gpu_tensor({g.c}, in.dgamma0), db = gpu_tensor({g.c}, in.dbeta0);
    instance_norm2d_forward(x, o.affine ? &gm : nullptr, o.affine ? &bt : nullptr, kEps, yt, save_mean, save_invstd);
    instance_norm2d_backward(dyt, x, o.affine ? &gm : nullptr, save_mean, save_invstd, dxt, o.affine ? &dg : nullptr,
                             o.affine ? &db : nullptr);
    Got got = {{"y", yt.to_vector()},
               {"save_mean", save_mean.to_vector()},
               {"save_invstd", save_invstd.to_vector()},
               {"dx", dxt.to_vector()}};
    if (o.affine) got.insert(got.end(), {{"dgamma", dg.to_vector()}, {"dbeta", db.to_vector()}});
    return got;
  };
  check_case(describe("instance_norm", g, o), run_gpu, want);
}

// Odd sizes: scalar path (hw odd), float4 path (hw % 4 == 0), 1x3 images, several chunks per group
// with chunk boundaries inside an image (4x3x33x35, 3x2x48x48).
const NormGeom kOddShapes[] = {{3, 5, 7, 9}, {1, 7, 3, 3}, {2, 3, 4, 5}, {5, 2, 1, 3}, {4, 3, 33, 35}, {3, 2, 48, 48}};

// The norm layers of pix2pix at 256x256 input, as (channels, side):
//   U-Net encoder 128@64, 256@32, 512@16, 8, 4, 2; decoder 512@2, 4, 8, 16, 256@32, 128@64, 64@128;
//   PatchGAN 128@64, 256@32, 512@31. Listed once each.
const std::pair<int, int> kPix2pixLayers[] = {{128, 64}, {256, 32}, {512, 16}, {512, 8},
                                              {512, 4},  {512, 2},  {64, 128}, {512, 31}};

}  // namespace

TEST_CASE("batch_norm CUDA matches the reference on odd shapes", "[gpu][batch_norm]") {
  uint64_t seed = 100;
  for (const NormGeom& g : kOddShapes) {
    const Inputs in = make_inputs(g, seed += 10);
    for (bool affine : {true, false}) {
      check_batch_norm_train(in, {affine, true, false});
      check_batch_norm_eval(in, {affine, false, false});
    }
    check_batch_norm_train(in, {true, false, false});
    check_batch_norm_train(in, {true, true, true});
    check_batch_norm_eval(in, {true, false, true});
  }
}

TEST_CASE("instance_norm CUDA matches the reference on odd shapes and 1x1 images", "[gpu][instance_norm]") {
  uint64_t seed = 200;
  for (const NormGeom& g : kOddShapes) {
    const Inputs in = make_inputs(g, seed += 10);
    for (bool affine : {true, false}) check_instance_norm(in, {affine, false, false});
    check_instance_norm(in, {true, false, true});
  }
  // 1x1 images: variance 0, y = beta, dx = 0 (checked as absolute error, the reference is all 0).
  check_instance_norm(make_inputs({3, 4, 1, 1}, 290), {true, false, false});
}

TEST_CASE("batch_norm and instance_norm CUDA match the reference on the pix2pix layers", "[gpu][pix2pix]") {
  uint64_t seed = 300;
  for (int batch : {1, 16})
    for (auto [channels, side] : kPix2pixLayers) {
      const Inputs in = make_inputs({batch, channels, side, side}, seed += 10);
      check_batch_norm_train(in, {true, true, false});
      check_batch_norm_eval(in, {true, false, false});
      check_instance_norm(in, {false, false, false});  // pix2pix's instance norm has no affine
    }
}

// Central differences of L = <y, u> through the CUDA forward, against the CUDA backward with dy = u.
// Tolerance 2e-3: L is summed from float outputs (rounding ~1e-6 over a step 2h = 2e-2 gives ~1e-4)
// plus the O(h^2) truncation (~1e-4); a wrong term in the backward is off by O(1).
namespace {
using Forward = std::function<Tensor(const Tensor& x, const Tensor& gamma, const Tensor& beta)>;
using Backward = std::function<void(const Tensor& dy, const Tensor& x, const Tensor& gamma, Tensor& dx, Tensor& dgamma,
                                    Tensor& dbeta)>;

void check_float_finite_differences(const std::string& name, const NormGeom& g, const Forward& forward,
                                    const Backward& backward) {
  const Shape shape{g.n, g.c, g.h, g.w};
  const Inputs in = make_inputs(g, 400);
  std::vector<Tensor> params = {gpu_tensor(shape, in.x), gpu_tensor({g.c}, in.gamma), gpu_tensor({g.c}, in.beta)};
  const std::vector<double> u = rounded(random_values(g.size(), 401));
  auto loss = [&]() {
    std::vector<float> y = forward(params[0], params[1], params[2]).to_vector();
    double l = 0;
    for (size_t i = 0; i < y.size(); ++i) l += y[i] * u[i];
    return l;
  };
  Tensor dx = gpu_poisoned(shape), dgamma = Tensor::zeros({g.c}, Device::CUDA),
         dbeta = Tensor::zeros({g.c}, Device::CUDA);
  backward(gpu_tensor(shape, u), params[0], params[1], dx, dgamma, dbeta);
  const std::vector<Tensor*> grads = {&dx, &dgamma, &dbeta};
  const char* names[] = {"x", "gamma", "beta"};
  const float h = 1e-2f;
  for (size_t k = 0; k < params.size(); ++k) {
    std::vector<float> value = params[k].to_vector(), analytic = grads[k]->to_vector();
    double diff = 0, scale = 0;
    for (size_t e = 0; e < value.size(); e += k == 0 ? 7 : 1) {
      std::vector<float> v = value;
      v[e] = value[e] + h;
      const float up = v[e];
      params[k].copy_from(Tensor::from_vector(params[k].shape(), v));
      const double lp = loss();
      v[e] = value[e] - h;
      const float down = v[e];
      params[k].copy_from(Tensor::from_vector(params[k].shape(), v));
      const double lm = loss();
      params[k].copy_from(Tensor::from_vector(params[k].shape(), value));
      const double numeric = (lp - lm) / (double(up) - double(down));
      diff = std::max(diff, std::abs(numeric - analytic[e]));
      scale = std::max(scale, std::abs(numeric));
    }
    INFO(name << ": d/d" << names[k] << " rel err " << diff / scale);
    CHECK(diff / scale < 2e-3);
  }
}
}  // namespace

TEST_CASE("batch_norm and instance_norm CUDA backward match float finite differences", "[gpu][gradcheck]") {
  const NormGeom g{2, 3, 5, 5};
  const Shape shape{g.n, g.c, g.h, g.w}, per_channel{g.c}, per_image{g.n, g.c};
  check_float_finite_differences(
      "batch_norm train", g,
      [&](const Tensor& x, const Tensor& gamma, const Tensor& beta) {
        Tensor y = gpu_poisoned(shape), mean = gpu_poisoned(per_channel), invstd = gpu_poisoned(per_channel);
        batch_norm2d_forward_train(x, &gamma, &beta, kEps, kMomentum, y, mean, invstd, nullptr, nullptr);
        return y;
      },
      [&](const Tensor& dy, const Tensor& x, const Tensor& gamma, Tensor& dx, Tensor& dgamma, Tensor& dbeta) {
        Tensor y = gpu_poisoned(shape), mean = gpu_poisoned(per_channel), invstd = gpu_poisoned(per_channel);
        batch_norm2d_forward_train(x, &gamma, nullptr, kEps, kMomentum, y, mean, invstd, nullptr, nullptr);
        batch_norm2d_backward_train(dy, x, &gamma, mean, invstd, dx, &dgamma, &dbeta);
      });
  check_float_finite_differences(
      "instance_norm", g,
      [&](const Tensor& x, const Tensor& gamma, const Tensor& beta) {
        Tensor y = gpu_poisoned(shape), mean = gpu_poisoned(per_image), invstd = gpu_poisoned(per_image);
        instance_norm2d_forward(x, &gamma, &beta, kEps, y, mean, invstd);
        return y;
      },
      [&](const Tensor& dy, const Tensor& x, const Tensor& gamma, Tensor& dx, Tensor& dgamma, Tensor& dbeta) {
        Tensor y = gpu_poisoned(shape), mean = gpu_poisoned(per_image), invstd = gpu_poisoned(per_image);
        instance_norm2d_forward(x, &gamma, nullptr, kEps, y, mean, invstd);
        instance_norm2d_backward(dy, x, &gamma, mean, invstd, dx, &dgamma, &dbeta);
      });
}
