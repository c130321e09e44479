// nn layers: the ParamStore (flat buffers, named views, initialisation) and each layer's wiring
// onto the op kernels. The layers add no arithmetic of their own, so each is compared with the
// kernel's float reference called directly on the same data: any difference is a wiring mistake
// (wrong tensor, wrong stride/padding, dropped accumulation), hence tolerance 1e-6 relative (the
// same float code on the same inputs; exact in practice).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>

#include "kernels/activation.h"
#include "kernels/batch_norm2d.h"
#include "kernels/concat.h"
#include "kernels/conv2d.h"
#include "kernels/conv_transpose2d.h"
#include "kernels/dropout.h"
#include "kernels/instance_norm2d.h"
#include "nn/activation.h"
#include "nn/concat.h"
#include "nn/conv.h"
#include "nn/dropout.h"
#include "nn/norm.h"
#include "nn/params.h"
#include "tests/testing.h"

using namespace p2p;
using namespace p2p::testing;

namespace {
constexpr double kWiringTol = 1e-6;  // same float reference on the same inputs

Tensor random_tensor(const Shape& s, uint64_t seed) {
  return tensor_of(s, random_values(shape_numel(s), seed), Device::CPU);
}
std::vector<float> values_of(const Tensor& t) { return t.to_vector(); }
bool same_bits(const Tensor& a, const std::vector<float>& b) {
  std::vector<float> v = a.to_vector();
  return v.size() == b.size() && std::memcmp(v.data(), b.data(), v.size() * sizeof(float)) == 0;
}
double mean_of(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += x;
  return s / v.size();
}
double std_of(const std::vector<float>& v) {
  double m = mean_of(v), s = 0;
  for (float x : v) s += (x - m) * (x - m);
  return std::sqrt(s / v.size());
}
// Fills every parameter gradient with random values (to check that backward accumulates).
std::vector<float> randomise_grads(ParamStore& store, uint64_t seed) {
  std::vector<double> g = random_values(store.num_params(), seed);
  store.grads().copy_from(tensor_of({store.num_params()}, g, Device::CPU));
  return store.grads().to_vector();
}
// grad(id) minus its value before the backward, i.e. what the backward accumulated.
std::vector<double> accumulated(ParamStore& store, int id, const std::vector<float>& before) {
  std::vector<float> now = store.grad(id).to_vector();
  int64_t off = store.params()[id].offset;
  std::vector<double> d(now.size());
  for (size_t i = 0; i < now.size(); ++i) d[i] = double(now[i]) - double(before[off + i]);
  return d;
}
}  // namespace

TEST_CASE("ParamStore views alias the flat buffers", "[nn][params]") {
  ParamStore store;
  int a = store.add("a.weight", {2, 3}, Init{0, 0.02f});
  int b = store.add("a.bias", {3}, Init{0.5f, 0});
  int r = store.add_buffer("a.running_var", {3}, 1.0f);
  CHECK(store.num_params() == 9);
  CHECK(store.num_buffer_values() == 3);
  CHECK_THROWS_WITH(store.value(a), Catch::Contains("before finalize"));
  store.finalize(Device::CPU, 7);
  REQUIRE(store.params().size() == 2);
  CHECK(store.params()[b].offset == 6);
  CHECK(store.value(a).data() == store.values().data());
  CHECK(store.value(b).data() == store.values().data() + 6);
  CHECK(store.grad(b).data() == store.grads().data() + 6);
  CHECK(store.buffer(r).data() == store.buffers().data());
  CHECK(store.value(b).shape() == Shape{3});
  // A write through a view shows in the flat buffer, and the reverse.
  store.value(b).data()[1] = 42.0f;
  CHECK(store.values().data()[7] == 42.0f);
  store.grads().data()[0] = -3.0f;
  CHECK(store.grad(a).data()[0] == -3.0f);
  // Constant inits and buffers.
  CHECK(store.value(b).data()[0] == 0.5f);
  for (float v : store.buffer(r).to_vector()) CHECK(v == 1.0f);
  CHECK(store.adam_m().numel() == 9);
  CHECK(store.adam_v().numel() == 9);
}

TEST_CASE("ParamStore rejects misuse with clear errors", "[nn][params]") {
  ParamStore store;
  store.add("x", {2}, Init{});
  CHECK_THROWS_WITH(store.add("x", {3}, Init{}), Catch::Contains("duplicate name 'x'"));
  CHECK_THROWS_WITH(store.add_buffer("x", {3}, 0.0f), Catch::Contains("duplicate name 'x'"));
  store.finalize(Device::CPU, 1);
  CHECK_THROWS_WITH(store.add("y", {2}, Init{}), Catch::Contains("after finalize"));
  CHECK_THROWS_WITH(store.value(5), Catch::Contains("no parameter with id 5"));
  CHECK_THROWS_WITH(store.finalize(Device::CPU, 1), Catch::Contains("twice"));
}

TEST_CASE("ParamStore initialisation statistics and determinism", "[nn][params]") {
  auto build = [](uint64_t seed) {
    ParamStore s;
    Conv2d conv(s, "conv", 64, 64, 4, 2, 1, true);  // 65536 weights N(0, 0.02), 64 biases 0
    Norm2d bn(s, "bn", NormKind::batch, 8192);      // 8192 weights N(1, 0.02), biases 0
    s.finalize(Device::CPU, seed);
    return s;
  };
  ParamStore s = build(3);
  const std::vector<float> w = s.value(0).to_vector(), cb = s.value(1).to_vector();
  const std::vector<float> g = s.value(2).to_vector(), gb = s.value(3).to_vector();
  // Sample mean and std of n normal draws: the mean within 5 std/sqrt(n), the std within 2% (its own
  // standard error is std/sqrt(2n), about 0.3% here, so 2% is over 6 standard errors).
  CHECK(std::abs(mean_of(w)) < 5 * 0.02 / std::sqrt(65536.0));
  CHECK(std_of(w) == Approx(0.02).epsilon(0.02));
  CHECK(std::abs(mean_of(g) - 1.0) < 5 * 0.02 / std::sqrt(8192.0));
  CHECK(std_of(g) == Approx(0.02).epsilon(0.04));
  for (float v : cb) CHECK(v == 0.0f);
  for (float v : gb) CHECK(v == 0.0f);
  for (float v : s.buffer(0).to_vector()) CHECK(v == 0.0f);  // running_mean
  for (float v : s.buffer(1).to_vector()) CHECK(v == 1.0f);  // running_var
  // Gradients and Adam moments start at zero.
  for (float v : s.grads().to_vector()) REQUIRE(v == 0.0f);
  for (float v : s.adam_v().to_vector()) REQUIRE(v == 0.0f);
  // Same seed, same values bit for bit; another seed, other values; entries use distinct streams.
  CHECK(same_bits(build(3).values(), s.values().to_vector()));
  CHECK_FALSE(same_bits(build(4).values(), s.values().to_vector()));
  CHECK(w[0] != g[0] - 1.0f);
}

TEST_CASE("ParamStore zero_grad clears every gradient", "[nn][params]") {
  ParamStore s;
  s.add("a", {5}, Init{0, 1});
  s.add("b", {2, 2}, Init{0, 1});
  s.finalize(Device::CPU, 1);
  randomise_grads(s, 9);
  CHECK(s.grad(1).to_vector()[3] != 0.0f);
  s.zero_grad();
  for (float v : s.grads().to_vector()) CHECK(v == 0.0f);
}

TEST_CASE("parse_norm", "[nn][norm]") {
  CHECK(parse_norm("batch") == NormKind::batch);
  CHECK(parse_norm("instance") == NormKind::instance);
  CHECK(parse_norm("none") == NormKind::none);
  CHECK_THROWS_WITH(parse_norm("layer"), Catch::Contains("--norm") && Catch::Contains("'layer'"));
}

TEST_CASE("Conv2d layer wiring", "[nn][conv]") {
  for (bool bias : {true, false}) {
    ParamStore s;
    Conv2d conv(s, "c", 3, 5, 4, 2, 1, bias);
    s.finalize(Device::CPU, 11);
    CHECK(conv.num_params() == 5 * 3 * 16 + (bias ? 5 : 0));
    CHECK(s.params()[0].name == "c.weight");
    CHECK(s.params()[0].shape == Shape{5, 3, 4, 4});
    Tensor x = random_tensor({2, 3, 7, 9}, 1);
    const ConvGeom g{2, 3, 7, 9, 5, 4, 4, 2, 1};
    const Tensor& y = conv.forward(x);
    REQUIRE(y.shape() == Shape{2, 5, g.p(), g.q()});
    std::vector<float> want(g.y_size());
    ref::conv2d_forward<float>(g, x.data(), s.value(0).data(), bias ? s.value(1).data() : nullptr, want.data());
    CHECK(rel_error(values_of(y), to_double(want)) <= kWiringTol);
    const float* y_storage = y.data();
    conv.forward(random_tensor({2, 3, 7, 9}, 2));
    CHECK(conv.output().data() == y_storage);  // the output buffer is reused for the same shape
    conv.forward(x);

    Tensor dy = random_tensor(y.shape(), 3);
    std::vector<float> before = randomise_grads(s, 4);
    Tensor dx;
    conv.backward(dy, &dx);
    std::vector<float> dx_want(g.x_size(), 0.0f), dw_want(g.w_size(), 0.0f), db_want(5, 0.0f);
    ref::conv2d_backward_data<float>(g, dy.data(), s.value(0).data(), dx_want.data());
    ref::conv2d_backward_weight<float>(g, x.data(), dy.data(), dw_want.data());
    ref::bias_backward<float>(2, 5, int64_t(g.p()) * g.q(), dy.data(), db_want.data());
    CHECK(rel_error(values_of(dx), to_double(dx_want)) <= kWiringTol);
    CHECK(rel_error(accumulated(s, 0, before), to_double(dw_want)) <= 1e-5);  // += onto values ~1: float rounding
    if (bias) CHECK(rel_error(accumulated(s, 1, before), to_double(db_want)) <= 1e-5);

    // param_grads = false: gradients untouched, dx still written; dx null: only the accumulation.
    before = s.grads().to_vector();
    Tensor dx2 = poisoned(x.shape(), Device::CPU);
    conv.backward(dy, &dx2, false);
    CHECK(same_bits(s.grads(), before));
    CHECK(rel_error(values_of(dx2), to_double(dx_want)) <= kWiringTol);
    conv.backward(dy, nullptr);
    CHECK(rel_error(accumulated(s, 0, before), to_double(dw_want)) <= 1e-5);
  }
}

TEST_CASE("Conv2d layer rejects a wrong input", "[nn][conv]") {
  ParamStore s;
  Conv2d conv(s, "G.down2.conv", 3, 5, 4, 2, 1, false);
  s.finalize(Device::CPU, 1);
  CHECK_THROWS_WITH(conv.forward(random_tensor({1, 4, 8, 8}, 1)), Catch::Contains("G.down2.conv"));
  CHECK_THROWS_WITH(conv.backward(random_tensor({1, 5, 4, 4}, 1), nullptr), Catch::Contains("before forward"));
}

TEST_CASE("ConvTranspose2d layer wiring", "[nn][conv]") {
  ParamStore s;
  ConvTranspose2d convt(s, "t", 4, 3, 4, 2, 1, true);
  s.finalize(Device::CPU, 12);
  CHECK(s.params()[0].shape == Shape{4, 3, 4, 4});
  Tensor x = random_tensor({2, 4, 3, 5}, 5);
  const ConvTGeom g{2, 4, 3, 5, 3, 4, 4, 2, 1};
  const Tensor& y = convt.forward(x);
  REQUIRE(y.shape() == Shape{2, 3, 6, 10});
  std::vector<float> want(shape_numel(y.shape()));
  ref::conv_transpose2d_forward<float>(g, x.data(), s.value(0).data(), s.value(1).data(), want.data());
  CHECK(rel_error(values_of(y), to_double(want)) <= kWiringTol);

  Tensor dy = random_tensor(y.shape(), 6);
  std::vector<float> before = randomise_grads(s, 7);
  Tensor dx;
  convt.backward(dy, &dx);
  std::vector<float> dx_want(x.numel(), 0.0f), dw_want(4 * 3 * 16, 0.0f), db_want(3, 0.0f);
  ref::conv_transpose2d_backward_data<float>(g, dy.data(), s.value(0).data(), dx_want.data());
  ref::conv_transpose2d_backward_weight<float>(g, x.data(), dy.data(), dw_want.data());
  ref::bias_backward<float>(2, 3, 60, dy.data(), db_want.data());
  CHECK(rel_error(values_of(dx), to_double(dx_want)) <= kWiringTol);
  CHECK(rel_error(accumulated(s, 0, before), to_double(dw_want)) <= 1e-5);
  CHECK(rel_error(accumulated(s, 1, before), to_double(db_want)) <= 1e-5);
  before = s.grads().to_vector();
  convt.backward(dy, nullptr, false);
  CHECK(same_bits(s.grads(), before));
}

TEST_CASE("Norm2d batch layer wiring (training and eval)", "[nn][norm]") {
  ParamStore s;
  Norm2d bn(s, "G.down2.norm", NormKind::batch, 3);
  s.finalize(Device::CPU, 13);
  CHECK(bn.num_params() == 6);
  CHECK(s.params()[0].name == "G.down2.norm.weight");
  CHECK(s.buffer_entries()[0].name == "G.down2.norm.running_mean");
  CHECK(s.buffer_entries()[1].name == "G.down2.norm.running_var");
  s.value(1).copy_from(random_tensor({3}, 20));  // a non-zero shift, so that beta's wiring shows
  Tensor x = random_tensor({2, 3, 4, 5}, 8);
  const NormGeom g{2, 3, 4, 5};
  std::vector<float> rm(3, 0.0f), rv(3, 1.0f), mean(3), invstd(3), want(x.numel());
  ref::batch_norm_forward_train<float>(g, x.data(), s.value(0).data(), s.value(1).data(), 1e-5f, 0.1f, want.data(),
                                       mean.data(), invstd.data(), rm.data(), rv.data());
  const Tensor& y = bn.forward(x, true);
  CHECK(rel_error(values_of(y), to_double(want)) <= kWiringTol);
  CHECK(rel_error(values_of(s.buffer(0)), to_double(rm)) <= kWiringTol);
  CHECK(rel_error(values_of(s.buffer(1)), to_double(rv)) <= kWiringTol);

  Tensor dy = random_tensor(x.shape(), 9);
  std::vector<float> before = randomise_grads(s, 10);
  std::vector<float> dx_want(x.numel()), dg(3, 0.0f), db(3, 0.0f);
  ref::batch_norm_backward_train<float>(g, dy.data(), x.data(), s.value(0).data(), mean.data(), invstd.data(),
                                        dx_want.data(), dg.data(), db.data());
  Tensor dx;
  bn.backward(dy, &dx);
  CHECK(rel_error(values_of(dx), to_double(dx_want)) <= kWiringTol);
  CHECK(rel_error(accumulated(s, 0, before), to_double(dg)) <= 1e-5);
  CHECK(rel_error(accumulated(s, 1, before), to_double(db)) <= 1e-5);
  before = s.grads().to_vector();
  bn.backward(dy, &dx, false);
  CHECK(same_bits(s.grads(), before));
  bn.backward(dy, nullptr);  // parameter gradients only
  CHECK(rel_error(accumulated(s, 1, before), to_double(db)) <= 1e-5);

  // Eval: the running statistics normalise and stay unchanged.
  std::vector<float> running = s.buffers().to_vector();
  const Tensor& ye = bn.forward(x, false);
  ref::batch_norm_forward_eval<float>(g, x.data(), s.value(0).data(), s.value(1).data(), s.buffer(0).data(),
                                      s.buffer(1).data(), 1e-5f, want.data());
  CHECK(rel_error(values_of(ye), to_double(want)) <= kWiringTol);
  CHECK(same_bits(s.buffers(), running));
  ref::batch_norm_backward_eval<float>(g, dy.data(), x.data(), s.value(0).data(), s.buffer(0).data(),
                                       s.buffer(1).data(), 1e-5f, dx_want.data(), nullptr, nullptr);
  bn.backward(dy, &dx, false);
  CHECK(rel_error(values_of(dx), to_double(dx_want)) <= kWiringTol);
}

TEST_CASE("Norm2d instance and none layers", "[nn][norm]") {
  ParamStore s;
  Norm2d in(s, "in", NormKind::instance, 3);
  Norm2d id(s, "id", NormKind::none, 3);
  CHECK(s.num_params() == 0);
  CHECK(s.buffer_entries().empty());
  s.finalize(Device::CPU, 1);
  Tensor x = random_tensor({2, 3, 3, 5}, 14);
  const NormGeom g{2, 3, 3, 5};
  std::vector<float> mean(6), invstd(6), want(x.numel()), dx_want(x.numel());
  ref::instance_norm_forward<float>(g, x.data(), nullptr, nullptr, 1e-5f, want.data(), mean.data(), invstd.data());
  for (bool training : {true, false}) {  // instance statistics in both modes
    CHECK(rel_error(values_of(in.forward(x, training)), to_double(want)) <= kWiringTol);
  }
  Tensor dy = random_tensor(x.shape(), 15), dx;
  ref::instance_norm_backward<float>(g, dy.data(), x.data(), nullptr, mean.data(), invstd.data(), dx_want.data(),
                                     nullptr, nullptr);
  in.backward(dy, &dx);
  CHECK(rel_error(values_of(dx), to_double(dx_want)) <= kWiringTol);

  CHECK(same_bits(id.forward(x, true), x.to_vector()));
  id.backward(dy, &dx);
  CHECK(same_bits(dx, dy.to_vector()));
}

TEST_CASE("Activation layers wiring", "[nn][activation]") {
  Tensor x = random_tensor({2, 3, 4, 4}, 16), dy = random_tensor({2, 3, 4, 4}, 17), dx;
  const int64_t n = x.numel();
  std::vector<float> want(n), dwant(n);

  LeakyReLU lrelu(0.2f);
  ref::leaky_relu_forward<float>(n, x.data(), 0.2f, want.data());
  CHECK(rel_error(values_of(lrelu.forward(x)), to_double(want)) <= kWiringTol);
  ref::leaky_relu_backward<float>(n, x.data(), dy.data(), 0.2f, dwant.data());
  lrelu.backward(dy, &dx);
  CHECK(rel_error(values_of(dx), to_double(dwant)) <= kWiringTol);

  ReLU relu;
  ref::leaky_relu_forward<float>(n, x.data(), 0.0f, want.data());
  CHECK(rel_error(values_of(relu.forward(x)), to_double(want)) <= kWiringTol);
  ref::leaky_relu_backward<float>(n, x.data(), dy.data(), 0.0f, dwant.data());
  relu.backward(dy, &dx);
  CHECK(rel_error(values_of(dx), to_double(dwant)) <= kWiringTol);

  Tanh tanh_layer;
  ref::tanh_forward<float>(n, x.data(), want.data());
  CHECK(rel_error(values_of(tanh_layer.forward(x)), to_double(want)) <= kWiringTol);
  ref::tanh_backward<float>(n, want.data(), dy.data(), dwant.data());
  tanh_layer.backward(dy, &dx);
  CHECK(rel_error(values_of(dx), to_double(dwant)) <= kWiringTol);
}

TEST_CASE("Dropout layer takes a fresh stream per forward and reuses it backward", "[nn][dropout]") {
  Tensor x = random_tensor({2, 4, 4, 4}, 18), dy = random_tensor({2, 4, 4, 4}, 19), dx;
  const int64_t n = x.numel();
  RandomStreams rng(77, 5);
  Dropout drop(0.5f);
  const Tensor& y = drop.forward(x, true, rng);
  CHECK(drop.last_offset() == 5);
  CHECK(rng.offset() == 6);
  std::vector<float> want(n), dwant(n);
  ref::dropout_forward<float>(n, x.data(), 0.5f, 77, 5, want.data());
  CHECK(rel_error(values_of(y), to_double(want)) <= kWiringTol);
  drop.backward(dy, &dx);
  ref::dropout_backward<float>(n, dy.data(), 0.5f, 77, 5, dwant.data());
  CHECK(rel_error(values_of(dx), to_double(dwant)) <= kWiringTol);

  drop.forward(x, true, rng);  // the next forward draws another mask
  CHECK(drop.last_offset() == 6);
  CHECK_FALSE(same_bits(drop.forward(x, true, rng), want));

  // Eval: identity, no stream taken.
  const uint64_t off = rng.offset();
  CHECK(same_bits(drop.forward(x, false, rng), x.to_vector()));
  CHECK(rng.offset() == off);
  drop.backward(dy, &dx);
  CHECK(same_bits(dx, dy.to_vector()));
  CHECK_THROWS(Dropout(1.0f));
}

TEST_CASE("Concat layer wiring", "[nn][concat]") {
  Tensor a = random_tensor({2, 3, 2, 3}, 21), b = random_tensor({2, 2, 2, 3}, 22);
  Concat cat;
  const Tensor& y = cat.forward(a, b);
  REQUIRE(y.shape() == Shape{2, 5, 2, 3});
  std::vector<float> want(y.numel());
  ref::concat_forward<float>(2, 3, 2, 6, a.data(), b.data(), want.data());
  CHECK(rel_error(values_of(y), to_double(want)) <= kWiringTol);
  Tensor dy = random_tensor(y.shape(), 23), da, db;
  cat.backward(dy, &da, &db);
  CHECK(same_bits(cat.forward(da, db), dy.to_vector()));  // split then concatenate is the identity
  Tensor db_only;
  cat.backward(dy, nullptr, &db_only);
  CHECK(same_bits(db_only, db.to_vector()));
  CHECK_THROWS_WITH(cat.forward(a, random_tensor({2, 2, 3, 3}, 1)), Catch::Contains("Concat"));
}
