// The U-Net generator and the PatchGAN discriminator: parameter counts equal to the official
// PyTorch models, parameter names, the convolution lists they enumerate, output shapes, clear
// errors, and a whole-network finite-difference check of the backward on tiny models.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <sstream>

#include "models/patchgan.h"
#include "models/resnet_generator.h"
#include "models/unet.h"
#include "tests/testing.h"

using namespace p2p;
using namespace p2p::testing;

namespace {
Tensor random_tensor(const Shape& s, uint64_t seed) {
  return tensor_of(s, random_values(shape_numel(s), seed), Device::CPU);
}

// Whole-network finite differences in float. L = <out, u>, accumulated in double. For each
// parameter tensor the probes are its element with the largest |analytic gradient| and two others
// spread over it; likewise for the input pixels. Per probe, the estimates are the central,
// forward and backward differences at h = 1e-3, 3e-4, 1e-4, and the probe's error is the smallest
// |estimate - analytic|; per tensor err = max_probes error / max(max_probes |analytic|, floor).
// Why several estimates: the network is piecewise smooth (ReLU / LeakyReLU kinks at thousands of
// elements), and a probe that moves one pre-activation across zero biases a difference quotient by
// O(1) there; the one-sided difference on the kink-free side, or a smaller h, escapes it. A smaller
// h alone does not do: L carries float rounding noise of ~1e-5 absolute that a difference divides
// by h. A wrong backward (a dropped layer, a missing skip gradient) is off at every h and both sides.
// floor = 2% of the largest parameter gradient: a conv bias in front of an instance norm has true
// gradient 0, and there only the noise would be measured.
// Tolerance err < 2e-2: what remains is the O(h) truncation of one-sided differences and the
// noise above (the measured worst case here is ~2e-3; over 12 random parameter draws, <= 2e-2).
struct FdResult {
  double worst = 0;
  std::string report;
};
FdResult finite_difference_check(ParamStore& store, Tensor& x, const Tensor& u,
                                 const std::function<const Tensor&()>& forward,
                                 const std::function<void(const Tensor& dy, Tensor* dx)>& backward) {
  auto loss = [&]() {
    std::vector<float> out = forward().to_vector(), w = u.to_vector();
    double L = 0;
    for (size_t i = 0; i < out.size(); ++i) L += double(out[i]) * w[i];
    return L;
  };
  // Well-scaled random parameters instead of the N(0, 0.02) init: uniform with variance 1/fan
  // (fan = elements per output slice), norm weights around 1. With the init's tiny weights the
  // pre-activations sit so close to the ReLU kinks that a probe crosses them and the difference
  // quotient measures the kink, not the backward.
  for (size_t k = 0; k < store.params().size(); ++k) {
    const ParamStore::Entry& e = store.params()[k];
    const int64_t n = shape_numel(e.shape);
    const bool norm_weight = e.name.find("norm") != std::string::npos && e.name.find(".weight") != std::string::npos;
    const double a = e.shape.size() == 4 ? std::sqrt(3.0 * e.shape[0] / n) : 0.3;
    std::vector<double> v = random_values(n, 1000 + k, -a, a);
    if (norm_weight)
      for (double& x : v) x += 1.0;
    store.value(int(k)).copy_from(tensor_of(e.shape, v, Device::CPU));
  }
  forward();
  store.zero_grad();
  Tensor dx;
  backward(u, &dx);
  const std::vector<float> grads = store.grads().to_vector(), dxv = dx.to_vector();

  const double l0 = loss();
  FdResult r;
  double global = 0;
  for (float g : grads) global = std::max(global, double(std::abs(g)));
  auto check_tensor = [&](const std::string& name, float* v, const float* analytic, int64_t n, double floor) {
    int64_t top = 0;
    for (int64_t i = 1; i < n; ++i)
      if (std::abs(analytic[i]) > std::abs(analytic[top])) top = i;
    double diff = 0, scale = floor;
    for (int64_t i : {top, n / 3, (2 * n) / 3 + 1 < n ? (2 * n) / 3 + 1 : n - 1}) {
      const float saved = v[i];
      double best = HUGE_VAL;
      for (double h : {1e-3, 3e-4, 1e-4}) {
        v[i] = saved + float(h);
        const double lp = loss();
        v[i] = saved - float(h);
        const double lm = loss();
        v[i] = saved;
        for (double numeric : {(lp - lm) / (2 * h), (lp - l0) / h, (l0 - lm) / h})
          best = std::min(best, std::abs(numeric - analytic[i]));
      }
      diff = std::max(diff, best);
      scale = std::max(scale, std::abs(double(analytic[i])));
    }
    const double err = diff / scale;
    r.worst = std::max(r.worst, err);
    std::ostringstream os;
    os << name << ": max |grad| " << scale << ", rel err " << err << "\n";
    r.report += os.str();
  };
  for (size_t k = 0; k < store.params().size(); ++k) {
    const ParamStore::Entry& e = store.params()[k];
    check_tensor(e.name, store.value(int(k)).data(), grads.data() + e.offset, shape_numel(e.shape), 2e-2 * global);
  }
  check_tensor("input", x.data(), dxv.data(), x.numel(), 0.0);
  return r;
}

UNetOptions tiny_unet_options() {
  UNetOptions o;
  o.input_nc = 3;
  o.output_nc = 3;
  o.num_downs = 6;  // the smallest U-Net with a dropout level (level 5); PyTorch builds >= 5 levels
  o.ngf = 2;
  o.norm = NormKind::batch;
  o.dropout = true;
  return o;
}

// Checks a model's convolution list against the parameters the model declared in s: the conv
// weights (the store's 4-D entries) by name in order and by shape, a bias exactly where listed,
// and the count the list implies (each conv's weights and bias, gamma and beta of each batch norm;
// instance norm has none) against the model's num_params().
void check_against_store(const std::vector<ConvLayer>& layers, NormKind norm, const ParamStore& s,
                         int64_t model_params) {
  std::vector<std::string> listed, declared;
  std::map<std::string, Shape> shapes;
  for (const ParamStore::Entry& e : s.params()) {
    shapes[e.name] = e.shape;
    if (e.shape.size() == 4) declared.push_back(e.name.substr(0, e.name.size() - std::strlen(".weight")));
  }
  int64_t implied = 0;
  for (const ConvLayer& l : layers) {
    INFO(l.name);
    listed.push_back(l.name);
    CHECK(shapes[l.name + ".weight"] ==
          (l.transposed ? Shape{l.cin, l.cout, l.k, l.k} : Shape{l.cout, l.cin, l.k, l.k}));
    CHECK(shapes.count(l.name + ".bias") == (l.bias ? 1u : 0u));
    implied += int64_t(l.cin) * l.cout * l.k * l.k + (l.bias ? l.cout : 0) +
               (l.norm && norm == NormKind::batch ? 2 * l.cout : 0);
  }
  CHECK(listed == declared);
  CHECK(implied == model_params);
  CHECK(implied == s.num_params());
}

// "G.down2.conv: 64x128x128 -> 128x64x64, k4 s2 p1, norm, after lrelu": one layer on one line.
std::string describe(const ConvLayer& l) {
  std::ostringstream os;
  os << l.name << ": " << l.cin << "x" << l.h << "x" << l.w << " -> " << l.cout << "x" << l.out_h() << "x" << l.out_w()
     << ", k" << l.k << " s" << l.stride << " p" << l.pad;
  if (l.transposed) os << ", transposed";
  if (l.bias) os << ", bias";
  if (l.norm) os << ", norm";
  if (l.after_leaky_relu) os << ", after lrelu";
  return os.str();
}
}  // namespace

// Parameter counts of the official models, by hand (k = 4x4 = 16 weights per channel pair):
// unet_256, ngf 64, batch norm (no conv biases but the outermost up conv's):
//   down1 3*64*16 = 3,072; down2 64*128*16 + 2*128 = 131,328; down3 128*256*16 + 512 = 524,800;
//   down4 256*512*16 + 1,024 = 2,098,176; down5..7 3 * (512*512*16 + 1,024) = 12,585,984;
//   down8 512*512*16 = 4,194,304                                         -> down total 19,537,664
//   up8 512*512*16 + 1,024 = 4,195,328; up7..5 3 * (1024*512*16 + 1,024) = 25,168,896;
//   up4 1024*256*16 + 512 = 4,194,816; up3 512*128*16 + 256 = 1,048,832; up2 256*64*16 + 128 = 262,272;
//   up1 128*3*16 + 3 = 6,147                                               -> up total 34,876,291
//   total 54,413,955 (PyTorch prints "54.414 M").
// unet_128 drops one 512 level each way: 54,413,955 - 4,195,328 - 8,389,632 = 41,828,995.
// PatchGAN n_layers 3, ndf 64, input 6, batch norm: conv0 6*64*16 + 64 = 6,208;
//   conv1 64*128*16 + norm 256 = 131,328; conv2 128*256*16 + 512 = 524,800;
//   conv3 256*512*16 + 1,024 = 2,098,176; conv4 512*1*16 + 1 = 8,193 -> 2,768,705 ("2.769 M").
TEST_CASE("parameter counts equal the PyTorch models", "[models][count]") {
  {
    ParamStore s;  // declared, never finalized: counting allocates nothing
    UNet g(UNetOptions{}, s);
    CHECK(s.num_params() == 54413955);
    CHECK(g.num_params() == 54413955);
    // Running mean and var of every norm: down2..7 128+256+512*4, up8..2 512*4+256+128+64.
    CHECK(s.num_buffer_values() == 2 * ((128 + 256 + 512 * 4) + (512 * 4 + 256 + 128 + 64)));
  }
  {
    ParamStore s;
    UNetOptions o;
    o.num_downs = 7;
    UNet g(o, s);
    CHECK(s.num_params() == 41828995);
  }
  {
    ParamStore s;
    PatchGAN d(PatchGANOptions{}, s);
    CHECK(s.num_params() == 2768705);
    CHECK(d.num_params() == 2768705);
  }
  {
    // Instance norm: no affine parameters, and every conv has a bias (use_bias): the batch-norm count
    // minus 2 * (norm channels) plus one bias per conv output channel: down1..8 64+128+256+512*5,
    // up8..2 512*4+256+128+64 (up1's bias is in the batch-norm count already).
    ParamStore s;
    UNetOptions o;
    o.norm = NormKind::instance;
    UNet g(o, s);
    const int64_t norm_affine = 2 * ((128 + 256 + 512 * 4) + (512 * 4 + 256 + 128 + 64));
    const int64_t biases = (64 + 128 + 256 + 512 * 5) + (512 * 4 + 256 + 128 + 64);
    CHECK(s.num_params() == 54413955 - norm_affine + biases);
    CHECK(s.buffer_entries().empty());
  }
}

TEST_CASE("parameter names are readable and in network order", "[models][names]") {
  ParamStore s;
  UNet g(UNetOptions{}, s);
  PatchGAN d(PatchGANOptions{}, s);
  std::vector<std::string> names;
  for (const auto& e : s.params()) names.push_back(e.name);
  REQUIRE(names.size() >= 4);
  CHECK(names[0] == "G.down1.conv.weight");
  CHECK(names[1] == "G.down2.conv.weight");
  CHECK(names[2] == "G.down2.norm.weight");
  CHECK(names[3] == "G.down2.norm.bias");
  auto at = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) - names.begin(); };
  CHECK(at("G.down8.conv.weight") < at("G.up8.convt.weight"));
  CHECK(at("G.up8.convt.weight") < at("G.up2.convt.weight"));
  CHECK(at("G.up2.norm.bias") < at("G.up1.convt.weight"));
  CHECK(at("G.up1.convt.bias") == at("G.up1.convt.weight") + 1);
  CHECK(at("G.down8.norm.weight") == long(names.size()));  // the innermost down level has no norm
  CHECK(at("G.up2.convt.bias") == long(names.size()));     // batch norm: no conv bias
  CHECK(at("D.conv0.bias") == at("D.conv0.weight") + 1);
  CHECK(at("D.conv1.weight") + 1 == at("D.norm1.weight"));
  CHECK(at("D.conv4.bias") + 1 == long(names.size()));
  CHECK(s.params()[at("D.conv4.weight")].shape == Shape{1, 512, 4, 4});
  CHECK(s.params()[at("G.up7.convt.weight")].shape == Shape{1024, 512, 4, 4});
  CHECK(s.buffer_entries()[0].name == "G.down2.norm.running_mean");
  CHECK(s.buffer_entries()[1].name == "G.down2.norm.running_var");
}

TEST_CASE("the models list the convolutions they declare", "[models][layers]") {
  auto unet = [](int num_downs, int ngf, NormKind norm) {
    UNetOptions o;
    o.num_downs = num_downs;
    o.ngf = ngf;
    o.norm = norm;
    return o;
  };
  for (const UNetOptions& o :
       {UNetOptions{}, unet(7, 64, NormKind::batch), unet(8, 8, NormKind::batch), unet(8, 64, NormKind::instance),
        unet(8, 64, NormKind::none), unet(5, 3, NormKind::instance)}) {
    INFO("U-Net num_downs " << o.num_downs << ", ngf " << o.ngf << ", norm " << norm_name(o.norm));
    ParamStore s;
    UNet g(o, s);
    const std::vector<ConvLayer> layers = UNet::layers(o, 256, 256);
    REQUIRE(int(layers.size()) == 2 * o.num_downs);
    check_against_store(layers, o.norm, s, g.num_params());
    CHECK(layers[o.num_downs - 1].out_h() == 256 >> o.num_downs);  // the innermost level
    CHECK(layers.back().out_h() == 256);
  }
  auto patchgan = [](int n_layers, NormKind norm) {
    PatchGANOptions o;
    o.n_layers = n_layers;
    o.norm = norm;
    return o;
  };
  for (const PatchGANOptions& o :
       {PatchGANOptions{}, patchgan(1, NormKind::batch), patchgan(0, NormKind::batch), patchgan(3, NormKind::instance),
        patchgan(0, NormKind::instance), patchgan(3, NormKind::none)}) {
    INFO("PatchGAN n_layers " << o.n_layers << ", norm " << norm_name(o.norm));
    ParamStore s;
    PatchGAN d(o, s);
    const std::vector<ConvLayer> layers = PatchGAN::layers(o, 256, 256);
    REQUIRE(int(layers.size()) == (o.n_layers == 0 ? 3 : o.n_layers + 2));
    check_against_store(layers, o.norm, s, d.num_params());
  }
  UNetOptions bad;
  bad.num_downs = 4;
  CHECK_THROWS_WITH(UNet::layers(bad, 256, 256), Catch::Contains("--num-downs"));
}

TEST_CASE("unet_256 and the 70x70 PatchGAN list their convolutions at 256x256", "[models][layers]") {
  // Written out by hand from models/unet.h and models/patchgan.h (the table the tests and
  // benchmarks used to keep themselves, with the bias, norm and LeakyReLU flags added).
  const std::vector<std::string> expected = {
      "G.down1.conv: 3x256x256 -> 64x128x128, k4 s2 p1",
      "G.down2.conv: 64x128x128 -> 128x64x64, k4 s2 p1, norm, after lrelu",
      "G.down3.conv: 128x64x64 -> 256x32x32, k4 s2 p1, norm, after lrelu",
      "G.down4.conv: 256x32x32 -> 512x16x16, k4 s2 p1, norm, after lrelu",
      "G.down5.conv: 512x16x16 -> 512x8x8, k4 s2 p1, norm, after lrelu",
      "G.down6.conv: 512x8x8 -> 512x4x4, k4 s2 p1, norm, after lrelu",
      "G.down7.conv: 512x4x4 -> 512x2x2, k4 s2 p1, norm, after lrelu",
      "G.down8.conv: 512x2x2 -> 512x1x1, k4 s2 p1, after lrelu",
      "G.up8.convt: 512x1x1 -> 512x2x2, k4 s2 p1, transposed, norm",
      "G.up7.convt: 1024x2x2 -> 512x4x4, k4 s2 p1, transposed, norm",
      "G.up6.convt: 1024x4x4 -> 512x8x8, k4 s2 p1, transposed, norm",
      "G.up5.convt: 1024x8x8 -> 512x16x16, k4 s2 p1, transposed, norm",
      "G.up4.convt: 1024x16x16 -> 256x32x32, k4 s2 p1, transposed, norm",
      "G.up3.convt: 512x32x32 -> 128x64x64, k4 s2 p1, transposed, norm",
      "G.up2.convt: 256x64x64 -> 64x128x128, k4 s2 p1, transposed, norm",
      "G.up1.convt: 128x128x128 -> 3x256x256, k4 s2 p1, transposed, bias",
      "D.conv0: 6x256x256 -> 64x128x128, k4 s2 p1, bias",
      "D.conv1: 64x128x128 -> 128x64x64, k4 s2 p1, norm, after lrelu",
      "D.conv2: 128x64x64 -> 256x32x32, k4 s2 p1, norm, after lrelu",
      "D.conv3: 256x32x32 -> 512x31x31, k4 s1 p1, norm, after lrelu",
      "D.conv4: 512x31x31 -> 1x30x30, k4 s1 p1, bias, after lrelu",
  };
  std::vector<ConvLayer> layers = UNet::layers(UNetOptions{}, 256, 256);
  for (const ConvLayer& l : PatchGAN::layers(PatchGANOptions{}, 256, 256)) layers.push_back(l);
  REQUIRE(layers.size() == expected.size());
  for (size_t i = 0; i < layers.size(); ++i) CHECK(describe(layers[i]) == expected[i]);
}

TEST_CASE("U-Net output shapes, summary and size errors", "[models][unet]") {
  // unet_256's architecture (8 levels) with ngf 1 so that the CPU reference runs it quickly; the
  // shapes depend on num_downs, not on the width.
  ParamStore s;
  UNetOptions o;
  o.ngf = 1;
  UNet g(o, s);
  s.finalize(Device::CPU, 1);
  RandomStreams rng(5);
  const Tensor& y = g.forward(random_tensor({1, 3, 256, 256}, 1), true, rng);
  CHECK(y.shape() == Shape{1, 3, 256, 256});
  CHECK(rng.offset() == 3);                                    // one stream per dropout level (5, 6, 7)
  for (float v : y.to_vector()) REQUIRE(std::abs(v) <= 1.0f);  // tanh
  const std::string sum = g.summary();
  INFO(sum);
  const std::vector<std::string> order = {"G.down1.conv", "G.down2.lrelu", "G.down2.conv", "G.down2.norm",
                                          "G.down8.conv", "G.up8.relu",    "G.up8.convt",  "G.up8.norm",
                                          "G.up8.cat",    "G.up7.dropout", "G.up4.norm",   "G.up1.tanh"};
  size_t pos = 0;
  for (const std::string& n : order) {
    size_t p = sum.find(n + " ", pos);
    CHECK(p != std::string::npos);
    pos = p == std::string::npos ? pos : p;
  }
  CHECK(sum.find("[1, 8, 1, 1]") != std::string::npos);  // the innermost level's output
  CHECK(sum.find("G.up4.dropout") == std::string::npos);

  CHECK_THROWS_WITH(g.forward(random_tensor({1, 3, 100, 100}, 2), true, rng),
                    Catch::Contains("--crop-size") && Catch::Contains("--num-downs 8") && Catch::Contains("256"));
  CHECK_THROWS_WITH(g.forward(random_tensor({1, 1, 256, 256}, 2), true, rng), Catch::Contains("[N, 3, H, W]"));
  ParamStore s2;
  UNetOptions bad;
  bad.num_downs = 4;
  CHECK_THROWS_WITH(UNet(bad, s2), Catch::Contains("--num-downs"));
}

TEST_CASE("U-Net reuses its buffers, and eval mode is deterministic", "[models][unet]") {
  ParamStore s;
  UNet g(tiny_unet_options(), s);
  s.finalize(Device::CPU, 2);
  Tensor x = random_tensor({2, 3, 64, 64}, 3);
  RandomStreams rng(9);
  const Tensor& y1 = g.forward(x, true, rng);
  const float* p = y1.data();
  const std::vector<float> train1 = y1.to_vector();
  const std::vector<float> train2 = g.forward(x, true, rng).to_vector();
  CHECK(g.forward(x, true, rng).data() == p);
  CHECK(train1 != train2);  // a fresh dropout mask each step
  RandomStreams a(1), b(2);
  const std::vector<float> eval1 = g.forward(x, false, a).to_vector();
  CHECK(eval1 == g.forward(x, false, b).to_vector());  // eval: no dropout, running statistics
  CHECK(a.offset() == 0);
}

TEST_CASE("PatchGAN and PixelGAN output shapes", "[models][patchgan]") {
  for (int n_layers : {3, 0}) {
    ParamStore s;
    PatchGANOptions o;
    o.ndf = 4;  // the shapes depend on n_layers only; a narrow D keeps the CPU reference fast
    o.n_layers = n_layers;
    PatchGAN d(o, s);
    s.finalize(Device::CPU, 1);
    const Tensor& y = d.forward(random_tensor({1, 6, 256, 256}, 1), true);
    CHECK(y.shape() == (n_layers == 3 ? Shape{1, 1, 30, 30} : Shape{1, 1, 256, 256}));
    CHECK(d.summary().find("D.conv" + std::to_string(n_layers == 3 ? 4 : 2)) != std::string::npos);
  }
  ParamStore s;
  PatchGANOptions o;
  o.n_layers = 0;
  PatchGAN pixel(o, s);
  // PixelDiscriminator: 6*64 + 64, 64*128 + norm 256, 128*1 (no bias with batch norm).
  CHECK(s.num_params() == 6 * 64 + 64 + 64 * 128 + 256 + 128);
}

TEST_CASE("U-Net backward matches finite differences", "[models][unet][fd]") {
  for (NormKind norm : {NormKind::batch, NormKind::instance}) {
    ParamStore s;
    UNetOptions o = tiny_unet_options();
    o.norm = norm;
    UNet g(o, s);
    s.finalize(Device::CPU, 3);
    Tensor x = random_tensor({2, 3, 64, 64}, 4);
    Tensor u = random_tensor({2, 3, 64, 64}, 5);
    // The same dropout streams at every evaluation: a fixed seed and starting offset.
    auto fwd = [&]() -> const Tensor& {
      RandomStreams rng(42, 100);
      return g.forward(x, true, rng);
    };
    FdResult r = finite_difference_check(s, x, u, fwd, [&](const Tensor& dy, Tensor* dx) { g.backward(dy, dx); });
    INFO(norm_name(norm) << "\n" << r.report);
    CHECK(r.worst < 2e-2);
  }
}

TEST_CASE("PatchGAN backward matches finite differences", "[models][patchgan][fd]") {
  for (int n_layers : {1, 0}) {
    ParamStore s;
    PatchGANOptions o;
    o.ndf = 2;
    o.n_layers = n_layers;
    PatchGAN d(o, s);
    s.finalize(Device::CPU, 6);
    Tensor x = random_tensor({2, 6, 16, 16}, 7);
    Tensor u = random_tensor(n_layers == 1 ? Shape{2, 1, 6, 6} : Shape{2, 1, 16, 16}, 8);
    auto fwd = [&]() -> const Tensor& { return d.forward(x, true); };
    FdResult r = finite_difference_check(s, x, u, fwd, [&](const Tensor& dy, Tensor* dx) { d.backward(dy, dx, true); });
    INFO("n_layers " << n_layers << "\n" << r.report);
    CHECK(r.worst < 2e-2);

    // param_grads = false: the same dx, and the parameter gradients stay as they were.
    d.forward(x, true);
    Tensor dx_full, dx_only;
    s.zero_grad();
    d.backward(u, &dx_full, true);
    const std::vector<float> grads = s.grads().to_vector();
    d.backward(u, &dx_only, false);
    CHECK(s.grads().to_vector() == grads);
    CHECK(dx_only.to_vector() == dx_full.to_vector());
  }
}

// resnet_9blocks, ngf 64, 3 -> 3, instance norm (every conv with a bias, no norm parameters), k x k
// weights per channel pair: in 3*64*49 + 64 = 9,472; down1 64*128*9 + 128 = 73,856;
// down2 128*256*9 + 256 = 295,168; each block 2 * (256*256*9 + 256) = 1,180,160 (9: 10,621,440);
// up1 256*128*9 + 128 = 295,040; up2 128*64*9 + 64 = 73,792; out 64*3*49 + 3 = 9,411
//   -> 11,378,179 (PyTorch prints "11.378 M"); resnet_6blocks: 3 blocks fewer, 7,837,699.
// CycleGAN's PatchGAN (input_nc 3, instance norm, biases everywhere): conv0 3*64*16 + 64 = 3,136;
//   conv1 64*128*16 + 128 = 131,200; conv2 128*256*16 + 256 = 524,544; conv3 256*512*16 + 512 =
//   2,097,664; conv4 512*16 + 1 = 8,193 -> 2,764,737 ("2.765 M").
TEST_CASE("ResNet generator and CycleGAN's PatchGAN parameter counts equal the PyTorch models",
          "[models][count][resnet]") {
  for (int blocks : {9, 6}) {
    ParamStore s;
    ResnetOptions o;
    o.n_blocks = blocks;
    ResnetGenerator g(o, s, "G_A");
    const int64_t want = blocks == 9 ? 11378179 : 7837699;
    CHECK(s.num_params() == want);
    CHECK(g.num_params() == want);
    CHECK(s.buffer_entries().empty());
    check_against_store(ResnetGenerator::layers(o, 256, 256, "G_A"), o.norm, s, g.num_params());
  }
  {
    ParamStore s;
    PatchGANOptions o;
    o.input_nc = 3;
    o.norm = NormKind::instance;
    PatchGAN d(o, s, "D_A");
    CHECK(s.num_params() == 2764737);
    CHECK(d.num_params() == 2764737);
  }
  {
    ParamStore s;  // batch norm: no conv biases but the last, gamma and beta per norm channel
    ResnetOptions o;
    o.norm = NormKind::batch;
    ResnetGenerator g(o, s);
    check_against_store(ResnetGenerator::layers(o, 256, 256), o.norm, s, g.num_params());
  }
}

TEST_CASE("resnet_9blocks lists its layers at 256x256", "[models][layers][resnet]") {
  const std::vector<ConvLayer> l = ResnetGenerator::layers(ResnetOptions{}, 256, 256);
  REQUIRE(l.size() == 1 + 2 + 18 + 2 + 1);
  CHECK(describe(l[0]) == "G.in.conv: 3x256x256 -> 64x256x256, k7 s1 p0, bias, norm");
  CHECK(l[0].reflect_pad == 3);
  CHECK(describe(l[2]) == "G.down2.conv: 128x128x128 -> 256x64x64, k3 s2 p1, bias, norm");
  CHECK(describe(l[4]) == "G.res1.conv2: 256x64x64 -> 256x64x64, k3 s1 p0, bias, norm");
  CHECK(l[4].reflect_pad == 1);
  CHECK(describe(l[21]) == "G.up1.convt: 256x64x64 -> 128x128x128, k3 s2 p1, transposed, bias, norm");
  CHECK(l[21].output_padding == 1);
  CHECK(describe(l[23]) == "G.out.conv: 64x256x256 -> 3x256x256, k7 s1 p0, bias");
}

TEST_CASE("ResNet generator output shape, summary and size errors", "[models][resnet]") {
  ParamStore s;
  ResnetOptions o;
  o.ngf = 2;
  o.n_blocks = 2;
  ResnetGenerator g(o, s);
  s.finalize(Device::CPU, 1);
  RandomStreams rng(1);
  const Tensor& y = g.forward(random_tensor({2, 3, 12, 20}, 2), true, rng);
  CHECK(y.shape() == Shape{2, 3, 12, 20});
  for (float v : y.to_vector()) CHECK(std::abs(v) < 1.0f);
  CHECK(g.summary().find("G.res2.add") != std::string::npos);
  CHECK_THROWS_WITH(g.forward(random_tensor({1, 3, 12, 18}, 2), true, rng),
                    Catch::Contains("image size 12x18 (--crop-size): the ResNet generator needs both divisible by 4"));
}

TEST_CASE("ResNet generator backward matches finite differences", "[models][resnet][fd]") {
  for (NormKind norm : {NormKind::instance, NormKind::batch}) {
    ParamStore s;
    ResnetOptions o;
    o.ngf = 2;
    o.n_blocks = 2;
    o.norm = norm;
    o.dropout = norm == NormKind::batch;  // the dropout path once
    ResnetGenerator g(o, s);
    s.finalize(Device::CPU, 3);
    Tensor x = random_tensor({2, 3, 16, 16}, 4);
    Tensor u = random_tensor({2, 3, 16, 16}, 5);
    auto fwd = [&]() -> const Tensor& {
      RandomStreams rng(42, 100);
      return g.forward(x, true, rng);
    };
    FdResult r = finite_difference_check(s, x, u, fwd, [&](const Tensor& dy, Tensor* dx) { g.backward(dy, dx); });
    INFO(norm_name(norm) << "\n" << r.report);
    CHECK(r.worst < 2e-2);  // the tolerance of finite_difference_check, reasons there
  }
}
